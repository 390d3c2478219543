import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseReportArgs, ReportInputError, writeHtmlReport } from '../../src/report/cli';
import { syntheticSummary } from '../../src/synthetic-summary';

describe('parseReportArgs', () => {
  it('puts the HTML and PNG next to the summary by default', () => {
    expect(parseReportArgs(['runs/stress.json'])).toEqual({
      summaryPath: 'runs/stress.json',
      htmlPath: 'runs/stress.html',
      pngPath: 'runs/stress.png',
    });
  });

  it('writes where --html and --png say', () => {
    expect(parseReportArgs(['s.json', '--html', 'out/r.html', '--png', 'out/r.png'])).toEqual({
      summaryPath: 's.json',
      htmlPath: 'out/r.html',
      pngPath: 'out/r.png',
    });
  });

  it.each([
    ['no summary', []],
    ['two summaries', ['a.json', 'b.json']],
    ['an unknown option', ['a.json', '--pdf', 'a.pdf']],
  ])('fails with the usage line given %s', (_case, argv) => {
    expect(() => parseReportArgs(argv)).toThrow(ReportInputError);
    expect(() => parseReportArgs(argv)).toThrow(/usage: npm run load:report -- <summary\.json>/);
  });
});

describe('writeHtmlReport', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'load-report-cli-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the report of the summary file to the HTML path', () => {
    const summaryPath = path.join(dir, 'run.json');
    writeFileSync(summaryPath, JSON.stringify(syntheticSummary({ scenario: 'stress_test' })));
    const args = parseReportArgs([summaryPath]);

    writeHtmlReport(args);

    expect(readFileSync(path.join(dir, 'run.html'), 'utf8')).toContain('<h1>Load report: stress_test</h1>');
  });

  it('fails naming a summary file it cannot read', () => {
    const missing = path.join(dir, 'missing.json');

    expect(() => writeHtmlReport(parseReportArgs([missing]))).toThrow(`${missing} is not a valid load summary`);
    expect(() => writeHtmlReport(parseReportArgs([missing]))).toThrow('cannot be read');
  });

  it('refuses a file that is not a load summary, naming what is wrong, and writes nothing', () => {
    const summaryPath = path.join(dir, 'run.json');
    writeFileSync(summaryPath, JSON.stringify({ schemaVersion: 1, scenario: 'soak' }));

    expect(() => writeHtmlReport(parseReportArgs([summaryPath]))).toThrow(/scenario/);
    expect(() => readFileSync(path.join(dir, 'run.html'))).toThrow();
  });
});
