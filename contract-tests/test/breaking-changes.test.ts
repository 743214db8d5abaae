/**
 * The breaking-change gate (`scripts/breaking-changes.ts`, `npm run check:contract`), on
 * fixtures: the released contract with one change each, shipped as the same SDK version, or
 * with a major bump.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compareContracts, gate, latestRelease } from '../../scripts/breaking-changes.js';

const release = latestRelease();
const released = parse(readFileSync(release.file, 'utf8')) as Document;

// biome-ignore lint/suspicious/noExplicitAny: fixtures edit the parsed YAML freely
type Document = any;

/** The released contract with `edit` applied. */
function fixture(edit: (document: Document) => void): Document {
  const document = structuredClone(released);
  edit(document);
  return document;
}

const FIXTURES = {
  'a response field removed (Problem.instance)': fixture((d) => {
    delete d.components.schemas.Problem.properties.instance;
  }),
  'a request field removed (UpdateRequest.updatedValue)': fixture((d) => {
    const s = d.components.schemas.UpdateRequest;
    delete s.properties.updatedValue;
    s.required = s.required.filter((n: string) => n !== 'updatedValue');
  }),
  'an event field removed (WriteEventDetail.requestId)': fixture((d) => {
    const s = d.components.schemas.WriteEventDetail;
    delete s.properties.requestId;
    s.required = s.required.filter((n: string) => n !== 'requestId');
  }),
  'an operation removed (deleteItem)': fixture((d) => {
    delete d.paths['/dynamo'].delete;
  }),
  'a required response header removed (Location)': fixture((d) => {
    delete d.paths['/dynamo'].post.responses['201'].headers.Location;
  }),
  'a required query parameter added': fixture((d) => {
    d.paths['/dynamo'].get.parameters.push({
      name: 'table',
      in: 'query',
      required: true,
      schema: { type: 'string' },
    });
  }),
  'a response status removed (404 from getItem)': fixture((d) => {
    delete d.paths['/dynamo'].get.responses['404'];
  }),
  'a pattern added to a request field': fixture((d) => {
    d.components.schemas.UpdateRequest.properties.updatedKey.pattern = '^[a-z]+$';
  }),
  'user_id narrowed to 100 characters': fixture((d) => {
    d.components.schemas.UserId.maxLength = 100;
  }),
  // Named like annotations, and still properties a client reads.
  'a response property named title removed (Problem.title)': fixture((d) => {
    const s = d.components.schemas.Problem;
    delete s.properties.title;
    s.required = s.required.filter((n: string) => n !== 'title');
  }),
};

const COMPATIBLE = {
  'an optional field added to Item': fixture((d) => {
    d.components.schemas.Item.properties.name = { type: 'string', description: 'A display name.' };
  }),
  'an optional field added to UpdateRequest': fixture((d) => {
    d.components.schemas.UpdateRequest.properties.note = { type: 'string' };
  }),
  'an optional field added to an event': fixture((d) => {
    d.components.schemas.WriteEventDetail.properties.traceId = { type: 'string' };
  }),
  'an operation added on its own path; an optional header, a media type and a status elsewhere':
    fixture((d) => {
      d.paths['/dynamo/items'] = {
        get: {
          operationId: 'listItems',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } }],
          responses: {
            '200': {
              description: 'A page.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      };
      d.paths['/dynamo'].post.parameters = [
        { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } },
      ];
      d.paths['/dynamo'].patch.requestBody.content['application/merge-patch+json'] = {
        schema: { type: 'object' },
      };
      d.paths['/dynamo'].get.responses['304'] = { description: 'Not modified.' };
    }),
  'descriptions reworded': fixture((d) => {
    d.info.description = 'Reworded.';
    d.paths['/dynamo'].get.summary = 'Read one item';
  }),
  // README's own example of what is not breaking: Item reaches every operation and event.
  "an example edited (Item's name Ada → Grace)": fixture((d) => {
    d.components.schemas.Item.example.name = 'Grace';
  }),
  'annotations of schemas and operations: titles, descriptions, examples, external docs': fixture(
    (d) => {
      const item = d.components.schemas.Item;
      item.title = 'An item';
      item.description = 'Reworded.';
      item.example = { user_id: 'user-9', visits: 4 };
      d.components.schemas.UserId.example = 'user-9';
      d.components.schemas.UserId.examples = ['user-9'];
      d.components.schemas.WriteEventDetail.properties.requestId.description = 'Reworded.';
      d.paths['/dynamo'].get.externalDocs = { url: 'https://example.com/' };
    },
  ),
};

describe('the breaking-change gate', () => {
  it('passes openapi.yaml today against the released contract (npm test runs it)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/breaking-changes.ts'],
      {
        cwd: join(import.meta.dirname, '../..'),
      },
    );

    // Clean: nothing breaking, or what is breaking released as a major version (as a team that
    // narrows Item does, README "Make it yours"); execFile rejects on any other exit.
    expect(stdout).toMatch(
      /^breaking-change gate: (no breaking change|\d+ breaking changes?) since the contract released with the SDK \d+\.\d+\.\d+(, with the major bump to \d+\.\d+\.\d+)?$/m,
    );
  });

  it('starts from the seed: the four calls', () => {
    const ids = Object.values(
      released.paths['/dynamo'] as Record<string, { operationId: string }>,
    ).map((o) => o.operationId);

    expect(ids.sort()).toEqual(['createItem', 'deleteItem', 'getItem', 'updateItem']);
  });

  it.each(Object.entries(FIXTURES))(
    'fails on %s without a major bump, passes with one',
    (_what, current) => {
      const same = gate({ released, releasedVersion: '0.1.0', current, sdkVersion: '0.1.3' });
      const bumped = gate({ released, releasedVersion: '0.1.0', current, sdkVersion: '0.2.0' });
      const oneX = gate({ released, releasedVersion: '1.4.2', current, sdkVersion: '1.9.0' });
      const twoX = gate({ released, releasedVersion: '1.4.2', current, sdkVersion: '2.0.0' });

      expect(same.ok).toBe(false);
      expect(same.breaking.length).toBeGreaterThan(0);
      expect(same.message).toMatch(
        /breaking changes since the contract released with the SDK 0\.1\.0, but sdk\/package\.json is 0\.1\.3: undo them, or make them a major release \(version 0\.2\.0/,
      );
      expect(bumped.ok).toBe(true);
      expect(oneX.ok).toBe(false);
      expect(oneX.message).toContain('version 2.0.0');
      expect(twoX.ok).toBe(true);
    },
  );

  it.each(Object.entries(COMPATIBLE))('passes on %s without a bump', (_what, current) => {
    const result = gate({ released, releasedVersion: '0.1.0', current, sdkVersion: '0.1.0' });

    expect(result.breaking).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.others.length).toBeGreaterThan(0);
  });

  it.each(Object.entries({ ...FIXTURES, ...COMPATIBLE }))(
    'says what changed in every change it reports: %s',
    (_what, current) => {
      const changes = compareContracts(released, current);

      expect(changes.length).toBeGreaterThan(0);
      for (const change of changes) {
        // A verb, then what changed: not empty, not straight into where (`[Replaced]  in ...`).
        expect(change.description, change.where).toMatch(
          /^\[(Added|Removed|Replaced|Renamed)\] (?!in )\S/,
        );
        expect(change.description, change.where).not.toMatch(/^\S+ annotation \(/);
      }
    },
  );

  it('names the example field an edit changed, in each event it reaches', () => {
    const changes = compareContracts(
      released,
      COMPATIBLE["an example edited (Item's name Ada → Grace)"],
    );

    expect(changes.every((c) => c.type === 'annotation')).toBe(true);
    expect(changes).toContainEqual(
      expect.objectContaining({
        where: 'event.ItemUpdatedDetail.allOf.0.properties.item.example.name',
        description:
          '[Replaced] `allOf.0.properties.item.example.name` in the event ItemUpdatedDetail',
      }),
    );
  });

  it('says what broke and where', () => {
    const changes = compareContracts(released, FIXTURES['an operation removed (deleteItem)']);
    const events = compareContracts(
      released,
      FIXTURES['an event field removed (WriteEventDetail.requestId)'],
    );

    expect(changes).toEqual([
      expect.objectContaining({
        type: 'breaking',
        where: 'paths./dynamo.delete',
        description: '[Removed] operation DELETE /dynamo',
      }),
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'breaking',
        where: 'event.WriteEventDetail.properties.requestId',
        description: '[Removed] property `requestId` in the event WriteEventDetail',
      }),
    );
  });
});
