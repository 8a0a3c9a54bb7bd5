# Modules every configuration gets, like nixpkgs' module-list.nix. Options
# that only some images have (isoImage.*, home-manager.*, formatAttr) come
# from the modules that users import, as in NixOS.
let
  release = (import ../../lib).trivial.release;
  atLeast2505 = builtins.compareVersions release "25.05" >= 0;
in
[
  ./misc/nixpkgs.nix
  ./misc/version.nix
  ./misc/assertions.nix
  ./misc/lib.nix
  ./system/top-level.nix
  ./system/boot.nix
  ./system/stage-2.nix
  ./config/users.nix
  ./config/environment.nix
  ./config/networking.nix
  ./config/locale.nix
  ./config/i18n.nix
  ./config/console.nix
  ./config/nix.nix
  ./config/systemd.nix
  ./config/hardware.nix
  ./config/fonts/packages.nix
  ./services/openssh.nix
  ./services/x11/xkb.nix
  ./services/networking/networkmanager.nix
  ./services/desktop.nix
  ./services/misc.nix
  ./programs/programs.nix
  ./virtualisation/virtualisation.nix
]
# 25.05 added image.* naming and system.build.images.<variant>.
++ (if atLeast2505 then [ ./image/file-options.nix ./image/images.nix ] else [ ])
