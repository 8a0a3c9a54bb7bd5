/**
 * What a backend is: everything the executors, doctor and the image generator
 * need to know about one tool that builds NixOS images. Each backend is one
 * `<id>.backend.ts` module in this folder exporting `backend`; index.ts finds them.
 */
import type { Command, ImageSource, NixRequest } from '../nix/building/command';
import type { Format } from '../nix/building/formats';
import type { Release } from '../nix/building/releases';

/** A backend's id, the build option `backend`: one of the modules index.ts finds. */
export type BackendId = string;

/** The build the executor resolved from its options: the Nix request and the backend that runs it. */
export interface BuildRequest extends NixRequest {
  backend: BackendId;
  /**
   * The backend's own executable (Backend.executableOption) as found: the
   * option's file, else the program on PATH; undefined when neither is there.
   */
  executable?: string;
}

/** A tool a backend runs, checked before a build and by doctor. */
export interface Requirement {
  /** Executables on PATH, any one of which does. */
  anyOf: readonly string[];
  /** What is missing, when none of them is found: "nix-build is not on PATH (channel images are built with it)". */
  missing: string;
  /** What to do about it. */
  fix: string;
}

/** A build that failed, as a backend may explain it. */
export interface BuildFailure {
  stdout: string;
  stderr: string;
  format: Format;
  /** The image's project root, for messages. */
  projectRoot: string;
}

export interface Backend {
  /** The value of the `backend` option; also the module's file name (`<id>.backend.ts`). */
  id: BackendId;
  /** One line for the schemas' option descriptions: the tool it runs. */
  description: string;
  /** Place in lists (the schemas' enums, messages): nix, the default, first, then in the order backends were added. */
  order: number;
  /**
   * Builds a NixOS configuration only: an image given as a flake attribute or
   * an expression file is refused, naming the backends that build it as it is.
   */
  configurationOnly?: boolean;
  /** The releases it builds for, when not every one: a release outside them fails, naming what it needs. */
  releases?: {
    supports(release: Release): boolean;
    /** For messages: "NixOS ≥ 25.05 (nixos-rebuild build-image)". */
    needs: string;
  };
  /**
   * The format option as this backend reads it, or an error message. Without
   * it the backend builds the formats of nix/building/formats.ts and no other.
   */
  formatFor?(id: string): Format | { error: string };
  /** What it builds beyond that table, named when another backend refuses an unknown format. */
  formatsBeyondTable?: string;
  /** A build option that names the backend's executable, and the program looked up on PATH without it. */
  executableOption?: { option: string; program: string };
  /** The tools it runs for an image of this kind: the build fails naming the first one missing, doctor checks each. */
  requirements(image: { kind: ImageSource['kind']; executable?: string }): readonly Requirement[];
  /** The command line: pure, so that unit tests pin what users would type by hand. */
  command(req: BuildRequest): Command;
  /**
   * `rooted`: the command leaves the out-link as a GC root itself (nix build,
   * nix-build). `relink`: the executor points the out-link at the result and
   * registers it as a root afterwards.
   */
  outLink: 'rooted' | 'relink';
  /** The tool leaves `./result` in the image directory, where it runs: the executor removes it after the build. */
  leavesResultLink?: boolean;
  /** A clearer message than Nix's for a failure the backend recognises, or undefined. */
  explainFailure?(failure: BuildFailure): string | undefined;
  /** A warning printed before the build, for the image's release; undefined for none. */
  deprecationNote?(release: Release | undefined): string | undefined;
}
