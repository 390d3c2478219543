import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { k6Thresholds, renderK6Thresholds } from '../../generate/k6-thresholds';

const withIngestP95 = (targetInMillis: number): SloSpec => ({
  ...SLO_SPEC,
  latency: SLO_SPEC.latency.map((o) => (o.endpoint === 'POST /v1/events' ? { ...o, targetInMillis } : o)),
});

describe('k6 thresholds', () => {
  it.each([
    ['POST /v1/events', 'p(95)<100'],
    ['GET /v1/inbox', 'p(95)<200'],
    ['GET /v1/events/{event_id}', 'p(95)<50'],
  ])('holds %s to its p95 latency target', (endpoint, expression) => {
    expect(k6Thresholds(SLO_SPEC).thresholds[`http_req_duration{endpoint:${endpoint}}`]).toEqual([expression]);
  });

  it('fails the run above the error rate and below the ingestion target', () => {
    const { thresholds } = k6Thresholds(SLO_SPEC);

    expect(thresholds['http_req_failed']).toEqual(['rate<0.001']);
    expect(thresholds['http_req_failed{endpoint:POST /v1/events}']).toEqual(['rate<0.001']);
    expect(thresholds['events_accepted']).toEqual(['rate>=1000']);
  });

  it('changes the ingest threshold to p(95)<80 when the ingest p95 tightens from 100 to 80 ms', () => {
    const before = k6Thresholds(SLO_SPEC).thresholds;
    const after = k6Thresholds(withIngestP95(80)).thresholds;

    expect(after['http_req_duration{endpoint:POST /v1/events}']).toEqual(['p(95)<80']);
    expect({ ...after, 'http_req_duration{endpoint:POST /v1/events}': undefined }).toEqual({
      ...before,
      'http_req_duration{endpoint:POST /v1/events}': undefined,
    });
  });

  it('says it is generated and sorts its keys so the output is deterministic', () => {
    const file = k6Thresholds(SLO_SPEC);
    const keys = Object.keys(file.thresholds);

    expect(file.$comment).toMatch(/Generated from monitoring\/slo-spec\.ts.*do not edit by hand/);
    expect(keys).toEqual([...keys].sort());
    expect(renderK6Thresholds(SLO_SPEC)).toBe(renderK6Thresholds(SLO_SPEC));
    expect(renderK6Thresholds(SLO_SPEC).endsWith('}\n')).toBe(true);
  });
});
