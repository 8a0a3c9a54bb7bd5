import type { BinaryCacheConfig } from '../../nix/store/binary-cache';

/** The push target's options: the `binaryCache` plugin option, overridable per project. */
export type PushExecutorSchema = BinaryCacheConfig & {
  /** The build's outputPath: where its manifest.json is (default dist/<projectRoot>). */
  outputPath?: string;
};
