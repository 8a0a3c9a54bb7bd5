# Only the live stick: tools to fetch and unlock the config before installing.
{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ gnupg pinentry ];
  services.getty.helpLine = "Clone the config, import your GPG key, then: git-crypt unlock";
}
