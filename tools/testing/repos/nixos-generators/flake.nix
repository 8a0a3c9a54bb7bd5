{
  description = "Desktop config plus installer/SD images via nixos-generators";

  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
    nixos-generators = {
      url = "github:nix-community/nixos-generators";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, nixos-generators, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/desk/configuration.nix ./modules/common.nix ];
    };

    # nix build .#iso
    packages.x86_64-linux.iso = nixos-generators.nixosGenerate {
      system = "x86_64-linux";
      format = "install-iso";
      modules = [ ./images/iso.nix ./modules/common.nix ];
    };

    # nix build .#packages.aarch64-linux.sd   (for the Pi)
    packages.aarch64-linux.sd = nixos-generators.nixosGenerate {
      system = "aarch64-linux";
      format = "sd-aarch64";
      modules = [ ./images/sd.nix ./modules/common.nix ];
    };
  };
}
