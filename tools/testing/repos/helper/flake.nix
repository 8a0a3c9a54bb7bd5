{
  description = "Home machines";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = inputs@{ self, nixpkgs, ... }:
    let
      lib = import ./lib { inherit inputs; };

      # Bare rescue stick: installer + the shared bits, nothing host-specific.
      mkIso = { hostName, modules ? [ ] }: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix"
          ./modules/common.nix
          ./modules/live-only.nix
          {
            networking.hostName = hostName;
            system.stateVersion = "24.05";
          }
        ] ++ modules;
      };
    in
    {
      nixosConfigurations = {
        desk = lib.mkHost { name = "desk"; };
        live = lib.mkHost {
          name = "live";
          extraModules = [ (inputs.nixpkgs + "/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix") ];
        };
        rescue = mkIso { hostName = "helper-rescue"; modules = [ ./hosts/rescue/tools.nix ]; };
      };
    };
}
