export interface InitGeneratorSchema {
  skipFormat?: boolean;
  /** Replace package.json scripts that run what an inferred target runs (`nix flake lock`) with the Nx target. */
  updatePackageScripts?: boolean;
  /**
   * Register the plugin in nx.json `plugins`. Default: yes, unless
   * NX_ADD_PLUGINS=false or nx.json `useInferencePlugins: false`.
   */
  addPlugin?: boolean;
}
