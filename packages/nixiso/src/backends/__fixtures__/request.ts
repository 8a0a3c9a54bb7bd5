/** The build request the backend specs start from: nix/building's channel request, built with the nix backend. */
import { nixRequest } from '../../nix/building/__fixtures__/request';
import type { BuildRequest } from '../types';

export function buildRequest(overrides: Partial<BuildRequest> = {}): BuildRequest {
  return { ...nixRequest(), backend: 'nix', ...overrides };
}
