{
  description = "My systems (flake-utils-plus)";

  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
    flake-utils-plus.url = "github:gytis-ivaskevicius/flake-utils-plus";
  };

  outputs = inputs@{ self, nixpkgs, flake-utils-plus, ... }:
    flake-utils-plus.lib.mkFlake {
      inherit self inputs;

      supportedSystems = [ "x86_64-linux" ];
      channels.nixpkgs.input = nixpkgs;
      channelsConfig.allowUnfree = true;

      hostDefaults.modules = [
        ./modules/common.nix
        { nix.generateRegistryFromInputs = true; }
      ];

      hosts.desk.modules = [ ./hosts/desk.nix ];

      # nix build .#nixosConfigurations.iso.config.system.build.isoImage
      hosts.iso.modules = [ ./hosts/iso.nix ./hosts/iso-packages.nix ];
    };
}
