# The group NixOS's networkmanager.nix creates, inside its
# `mkIf cfg.enable`: without NetworkManager there is no `networkmanager`
# group. A user listing it in extraGroups is then simply not in it; NixOS
# neither warns nor fails (nixpkgs #55557, #37590), and neither does this.
{ config, lib, ... }:
{
  config = lib.mkIf config.networking.networkmanager.enable {
    users.groups.networkmanager.gid = 57; # ids.gids.networkmanager
  };
}
