/**
 * The console's only way to the server: the HTTP API of the same origin, with
 * the bearer token when the server asks for one (kept for the browser session).
 * Response types come from the server's own schemas, so the console follows them.
 */
import type { z } from 'zod';
import type {
  customerDetailsSchema,
  customerViewSchema,
  modelInfoSchema,
  segmentCountsSchema,
} from '../../src/app/http/http-schemas.js';
import type { reportJson } from '../../src/app/report.js';

export type CustomerView = z.infer<typeof customerViewSchema>;
export type CustomerDetails = z.infer<typeof customerDetailsSchema>;
export type ModelInfo = z.infer<typeof modelInfoSchema>;
export type SegmentCounts = z.infer<typeof segmentCountsSchema>;
export type PopulationReport = ReturnType<typeof reportJson> & { name: 'population' };

const TOKEN_KEY = 'clvstream.token';

/** The API's base: the console is served at <base>/console/. */
const base = new URL('..', window.location.href);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let askToken: (() => Promise<string>) | null = null;

/** How to ask the user for a token when the server answers 401 (set once by main). */
export function onTokenNeeded(ask: () => Promise<string>): void {
  askToken = ask;
}

async function request(path: string): Promise<Response> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  return fetch(new URL(path, base), { headers });
}

/** GET a JSON resource; on 401 asks for the token (up to three tries). */
export async function getJson<T>(path: string): Promise<T> {
  let response = await request(path);
  for (let attempt = 0; response.status === 401 && askToken !== null && attempt < 3; attempt++) {
    sessionStorage.setItem(TOKEN_KEY, await askToken());
    response = await request(path);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(response.status, body.error ?? `${response.status} ${response.statusText}`);
  }
  return (await response.json()) as T;
}

export const api = {
  customer: (id: string) => getJson<CustomerView>(`customers/${encodeURIComponent(id)}`),
  customerDetails: (id: string) => getJson<CustomerDetails>(`customers/${encodeURIComponent(id)}/details`),
  population: (query: { as_of?: string; period_days?: string }) => {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
    const qs = params.toString();
    return getJson<PopulationReport>(`reports/population${qs === '' ? '' : `?${qs}`}`);
  },
  segments: () => getJson<SegmentCounts>('segments'),
  model: () => getJson<ModelInfo>('model'),
};
