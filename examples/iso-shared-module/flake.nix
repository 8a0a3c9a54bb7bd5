{
  inputs = {
    # The NixOS release the image is built from.
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

    # home-manager must be the same release as nixpkgs.
    home-manager = {
      url = "github:nix-community/home-manager/release-24.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = {
    nixpkgs,
    home-manager,
    ...
  }: let
  in {
    # Build with: nix build .#nixosConfigurations.liveImage.config.system.build.isoImage
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      # Passes home-manager to every module as an argument (see home.nix).
      specialArgs = { inherit home-manager; };
      modules = [
        # home-manager.nixosModules.home-manager could also be imported here.
        ./configuration.nix
      ];
    };
  };
}
