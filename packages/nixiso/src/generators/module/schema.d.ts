export interface ModuleGeneratorSchema {
  /** Directory of the module project, relative to the workspace root. */
  directory: string;
  /** Project name; defaults to the last segment of `directory`. */
  name?: string;
  /** Comma-separated tags besides `nixos-module`. */
  tags?: string;
  /** Image projects to wire the module into (Nx passes a list; a comma-separated string is accepted too). */
  image?: string[] | string;
  skipFormat?: boolean;
}
