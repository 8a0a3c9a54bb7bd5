{
  pkgs,
  home-manager, # from specialArgs in flake.nix
  ...
}:
{
  imports = [
    home-manager.nixosModules.home-manager
  ];
  home-manager = let
    # The installer profile defines a single user, "nixos"; any other user
    # must also be created in configuration.nix (users.users.<name>).
    username = "alice";
  in {
    # Use the system's pkgs instead of a separate nixpkgs instance.
    useGlobalPkgs = true;
    # Install home.packages through /etc/profiles instead of ~/.nix-profile.
    useUserPackages = true;
    users.${username} = { pkgs, osConfig, ... }: {
      # The system configuration is available as the osConfig argument.
      home.stateVersion = osConfig.system.stateVersion;
      home.username = username;
      home.homeDirectory = "/home/${username}";

      # Everything else is an ordinary home-manager configuration.
      home.packages = with pkgs; [
        jq
        fzf
        curl
      ];
    };
  };
}
