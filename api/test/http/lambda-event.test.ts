import { httpApiEventProblem } from '../../src/http/lambda-event';
import { httpApiEvent } from '../../../tooling/http-api-event';

describe('the API Gateway HTTP API event check', () => {
  it.each([
    ['a GET', httpApiEvent('GET', '/v1/health')],
    ['a POST with a body', httpApiEvent('POST', '/v1/events', { body: '{"a":1}' })],
    [
      'a base64 body',
      httpApiEvent('POST', '/v1/events', { body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }),
    ],
    ['an empty base64 body', httpApiEvent('POST', '/v1/events', { body: '', isBase64Encoded: true })],
    ['cookies', { ...httpApiEvent('GET', '/v1/inbox'), cookies: ['a=b'] }],
  ])('accepts %s', (_case, event) => {
    expect(httpApiEventProblem(event)).toBeUndefined();
  });

  const valid = httpApiEvent('POST', '/v1/events', { body: '{}' });
  it.each([
    ['null', null, 'not a JSON object'],
    ['a list', [valid], 'not a JSON object'],
    ['a REST API (v1) event', { httpMethod: 'GET', path: '/', requestContext: {} }, "version must be '2.0'"],
    ['no requestContext', { ...valid, requestContext: undefined }, 'requestContext is missing'],
    ['no method', { ...valid, requestContext: { ...valid.requestContext, http: {} } }, 'http.method'],
    ['a path without its slash', { ...valid, rawPath: 'v1/events' }, 'rawPath'],
    ['a query string that is not text', { ...valid, rawQueryString: 5 }, 'rawQueryString'],
    ['headers as a list', { ...valid, headers: ['a'] }, 'headers must be an object'],
    ['a header that is not text', { ...valid, headers: { a: 1 } }, 'header values'],
    ['cookies that are not text', { ...valid, cookies: [1] }, 'cookies'],
    ['a body that is not text', { ...valid, body: { a: 1 } }, 'body must be a string'],
    ['a base64 body with other characters', { ...valid, body: '{"a":1}', isBase64Encoded: true }, 'not valid base64'],
    [
      'a base64 body with a stray padding',
      { ...valid, body: 'eyJh=IjoxfQ==', isBase64Encoded: true },
      'not valid base64',
    ],
  ])('names what is wrong with %s', (_case, event, problem) => {
    expect(httpApiEventProblem(event)).toContain(problem);
  });
});
