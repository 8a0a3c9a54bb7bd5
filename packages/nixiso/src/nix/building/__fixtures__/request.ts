/** The Nix request the command specs start from: a channel image, every option at its default. */
import type { NixRequest } from '../command';
import { findFormat, type Format } from '../formats';

export function nixRequest(overrides: Partial<NixRequest> = {}): NixRequest {
  return {
    source: { kind: 'channel', configurationFile: '/ws/images/a/configuration.nix' },
    format: findFormat('iso') as Format,
    outLink: '/ws/dist/images/a/result',
    nixPath: [],
    nixOptions: {},
    overrideInputs: {},
    extraArgs: [],
    showTrace: false,
    printBuildLogs: false,
    ...overrides,
  };
}
