export {
  type Conformance,
  createConformance,
  type SeenResponse,
} from './conformance.js';
