# Container/VM services, plus the disk and memory sizes nixos-generate's
# --disk-size/--memory set for VM-like formats.
{ lib, ... }:
let inherit (lib) mkOption mkEnableOption types; in
{
  options.virtualisation = {
    docker.enable = mkEnableOption "Docker";
    docker.rootless = mkOption { type = types.attrsOf types.anything; default = { }; description = "Rootless Docker."; };
    podman.enable = mkEnableOption "Podman";
    podman.dockerCompat = mkEnableOption "the docker alias for Podman";
    libvirtd.enable = mkEnableOption "libvirtd";
    virtualbox.guest.enable = mkEnableOption "VirtualBox guest additions";
    virtualbox.host.enable = mkEnableOption "VirtualBox";
    vmware.guest.enable = mkEnableOption "VMware guest tools";
    hypervGuest.enable = mkEnableOption "Hyper-V guest support";
    diskSize = mkOption { type = types.either (types.enum [ "auto" ]) types.int; default = "auto"; description = "Disk image size in MiB."; };
    memorySize = mkOption { type = types.ints.positive; default = 1024; description = "VM memory in MiB."; };
    cores = mkOption { type = types.ints.positive; default = 1; description = "VM cores."; };
  };
}
