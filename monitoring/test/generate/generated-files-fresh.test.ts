import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { generatedFiles, staleFiles } from '../../generate/generated-files';

const repoRoot = resolve(__dirname, '..', '..', '..');
const readRepoFile = (path: string): Promise<string> => readFile(join(repoRoot, path), 'utf8');

describe('files generated from the SLO spec', () => {
  it('are committed fresh (run `npm run slo:generate` when this fails)', async () => {
    const files = await generatedFiles(SLO_SPEC, readRepoFile);

    const stale = await staleFiles(files, readRepoFile);

    expect(stale.map((file) => `${file.path} is stale: run \`npm run slo:generate\``)).toEqual([]);
  });

  // Prettier is ESM-only inside jest's VM, so its CLI formats the generated text in a child process.
  it('generates text prettier leaves unchanged, even for a tightened spec', async () => {
    const tightened: SloSpec = { ...SLO_SPEC, latency: [{ ...SLO_SPEC.latency[0], targetInMillis: 80 }] };
    const files = [
      ...(await generatedFiles(SLO_SPEC, readRepoFile)),
      ...(await generatedFiles(tightened, readRepoFile)),
    ];

    for (const file of files) {
      const formatted = execFileSync(
        process.execPath,
        [join(repoRoot, 'node_modules/prettier/bin/prettier.cjs'), '--stdin-filepath', join(repoRoot, file.path)],
        { input: file.content, encoding: 'utf8' },
      );
      expect(formatted).toBe(file.content);
    }
  });

  it('reports both files stale when the ingest p95 tightens from 100 to 80 ms', async () => {
    const tightened: SloSpec = {
      ...SLO_SPEC,
      latency: SLO_SPEC.latency.map((o) => (o.endpoint === 'POST /v1/events' ? { ...o, targetInMillis: 80 } : o)),
    };

    const files = await generatedFiles(tightened, readRepoFile);

    expect(await staleFiles(files, readRepoFile)).toEqual([
      { path: 'load/slo-thresholds.json' },
      { path: 'docs/SLO.md' },
    ]);
    expect(files.find((file) => file.path === 'load/slo-thresholds.json')?.content).toContain(
      '"http_req_duration{endpoint:POST /v1/events}": ["p(95)<80"]',
    );
  });

  it('rejects an invalid spec before writing anything', async () => {
    const invalid: SloSpec = { ...SLO_SPEC, errorRate: { maximumPercent: 0 } };

    await expect(generatedFiles(invalid, readRepoFile)).rejects.toThrow(/errorRate: maximumPercent/);
  });
});
