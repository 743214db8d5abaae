const which = process.argv[2];
const mod = await import(which === 'main' ? '/tmp/writes-main/bench/core.ts' : '../bench/core.ts');
const r = await mod.measureCoreOverhead(30000);
console.log(which, JSON.stringify(r.coreUs), JSON.stringify(r.baselineUs));
