# Both USB images (live and rescue) read this, never a real machine.
{ ... }:
{
  boot.supportedFilesystems = [ "btrfs" "ntfs" ];
  services.getty.helpLine = "Data partition: mount /dev/disk/by-label/stick /mnt";
}
