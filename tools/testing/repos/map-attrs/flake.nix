{
  description = "nixos configs";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }: {
    nixosConfigurations = nixpkgs.lib.mapAttrs
      (name: cfg: nixpkgs.lib.nixosSystem {
        modules = cfg.modules ++ [ ./modules/common.nix ];
      })
      {
        desk = { modules = [ ./hosts/desk.nix ]; };
        usb = { modules = [ ./hosts/usb.nix ./modules/usb-extras.nix ]; };
      };
  };
}
