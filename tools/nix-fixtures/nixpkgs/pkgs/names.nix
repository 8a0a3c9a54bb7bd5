# Attribute names the fixture package set answers to. Nix attribute sets are
# closed, so "any package" means "any name listed here": a name missing from
# this list fails exactly like a misspelled package in real nixpkgs
# (`undefined variable` / `attribute missing`). Add names freely; each costs
# nothing until it is used.
{
  top = [
    # shells, editors, terminal tools
    "bash" "bashInteractive" "zsh" "fish" "nushell" "dash" "xonsh" "vim" "neovim" "nano" "emacs" "helix"
    "micro" "kakoune" "tmux" "screen" "zellij" "htop" "btop" "bottom" "glances" "iotop" "ncdu" "tree"
    "fzf" "ripgrep" "fd" "bat" "eza" "lsd" "jq" "yq" "yq-go" "fx" "less" "most" "which" "file"
    "coreutils" "coreutils-full" "findutils" "diffutils" "gnugrep" "gnused" "gawk" "gnutar" "gzip"
    "bzip2" "xz" "zstd" "unzip" "zip" "p7zip" "pigz" "pv" "rsync" "rclone" "watch" "procps"
    "psmisc" "lsof" "strace" "ltrace" "gdb" "man" "man-pages" "tldr" "zoxide" "direnv" "starship"
    "atuin" "mc" "ranger" "nnn" "lf" "yazi" "neofetch" "fastfetch" "cowsay" "hello" "figlet" "lolcat"
    "bc" "moreutils" "entr" "parallel" "just" "gnumake" "cmake" "ninja" "meson" "pkg-config"
    "gcc" "clang" "llvm" "binutils" "patchelf" "gnupg" "pinentry" "pass" "age" "sops" "openssl"
    "tealdeer" "du-dust" "duf" "hyperfine" "tokei" "delta" "difftastic" "shellcheck" "shfmt"
    # version control, nix tooling
    "git" "gitFull" "gitMinimal" "git-lfs" "gh" "glab" "lazygit" "tig" "mercurial" "subversion"
    "nix" "nixVersions" "nix-output-monitor" "nix-tree" "nixfmt-rfc-style" "nixpkgs-fmt" "alejandra"
    "nil" "nixd" "nh" "cachix" "home-manager" "nixos-install-tools" "nixos-rebuild" "disko"
    "deadnix" "statix" "nvd" "nix-index" "comma"
    # network
    "curl" "wget" "wget2" "aria2" "openssh" "mosh" "sshfs" "sshfs-fuse" "autossh" "iproute2"
    "iputils" "inetutils" "dnsutils" "bind" "ldns" "nmap" "netcat" "netcat-gnu" "socat" "tcpdump"
    "wireshark" "tshark" "iperf" "iperf3" "mtr" "traceroute" "whois" "ethtool" "iw" "wirelesstools"
    "wpa_supplicant" "networkmanager" "networkmanagerapplet" "iwd" "dhcpcd" "bridge-utils" "vlan"
    "tailscale" "wireguard-tools" "openvpn" "nettools" "httpie" "xh" "w3m" "w3m-nographics" "lynx"
    "links2" "ngrep" "bandwhich" "nethogs" "iftop" "speedtest-cli" "rustdesk" "syncthing"
    # disks, rescue, hardware
    "parted" "gparted" "gptfdisk" "util-linux" "e2fsprogs" "dosfstools" "exfatprogs" "ntfs3g"
    "btrfs-progs" "xfsprogs" "f2fs-tools" "zfs" "lvm2" "mdadm" "cryptsetup" "ddrescue" "gddrescue"
    "testdisk" "photorec" "smartmontools" "hdparm" "sdparm" "nvme-cli" "pciutils" "usbutils"
    "lshw" "dmidecode" "hwinfo" "inxi" "efibootmgr" "efivar" "fwupd" "memtest86plus" "ms-sys"
    "ccrypt" "fuse" "fuse3" "squashfsTools" "cdrkit" "xorriso" "syslinux" "grub2" "grub2_efi"
    "sbctl" "tpm2-tools" "chntpw" "clonezilla" "partclone" "partimage" "fsarchiver" "foremost"
    "extundelete" "ext4magic" "stress" "stress-ng" "lm_sensors" "acpi" "powertop" "cpufrequtils"
    "brightnessctl" "alsa-utils" "pulseaudio" "pavucontrol" "pipewire" "wireplumber" "bluez"
    "linux-firmware" "refind" "os-prober" "kexec-tools" "busybox" "toybox" "shadow" "sudo" "doas"
    "polkit" "dbus" "systemd" "udev" "kmod" "cpio" "lz4" "mtools" "libfaketime" "qemu" "qemu_kvm"
    "OVMF" "libvirt" "virt-manager" "docker" "docker-compose" "podman" "podman-compose" "buildah"
    "skopeo" "kubectl" "k9s" "kubernetes-helm" "terraform" "opentofu" "ansible" "packer" "awscli2"
    "google-cloud-sdk" "azure-cli" "vault" "consul" "nomad"
    # languages
    "python3" "python311" "python312" "python313" "python3Full" "pypy3" "nodejs" "nodejs_18"
    "nodejs_20" "nodejs_22" "bun" "deno" "yarn" "pnpm" "go" "gopls" "rustc" "cargo" "rustup"
    "rust-analyzer" "zig" "ruby" "perl" "php" "lua" "luajit" "jdk" "jdk17" "jdk21" "openjdk"
    "maven" "gradle" "kotlin" "scala" "sbt" "ghc" "cabal-install" "stack" "ocaml" "opam" "elixir"
    "erlang" "gleam" "dotnet-sdk" "julia" "R" "sqlite" "postgresql" "mariadb" "mysql" "redis"
    "valkey" "mongodb" "nginx" "caddy" "apacheHttpd" "haproxy" "traefik" "prometheus" "grafana"
    "typescript" "gnuplot" "pandoc" "texlive" "graphviz" "imagemagick" "ffmpeg" "ffmpeg-full"
    # desktop
    "firefox" "firefox-esr" "chromium" "google-chrome" "brave" "thunderbird" "vlc" "mpv" "gimp"
    "inkscape" "libreoffice" "libreoffice-fresh" "obs-studio" "kitty" "alacritty" "wezterm"
    "foot" "xterm" "rxvt-unicode" "gnome-terminal" "konsole" "vscode" "vscodium" "zed-editor"
    "keepassxc" "bitwarden" "signal-desktop" "telegram-desktop" "discord" "slack" "element-desktop"
    "spotify" "steam" "calamares" "calamares-nixos" "calamares-nixos-extensions" "glibcLocales"
    "gnome-tweaks" "gnome-disk-utility" "dconf" "dconf-editor" "nautilus" "gedit" "gnome-text-editor"
    "dolphin" "kate" "ark" "okular" "gwenview" "spectacle" "xfce4-terminal" "thunar" "rofi"
    "wofi" "dmenu" "waybar" "swaylock" "swayidle" "wl-clipboard" "xclip" "xsel" "grim" "slurp"
    "mako" "dunst" "feh" "sxiv" "imv" "zathura" "evince" "xdg-utils" "xorg-server" "xwayland"
    "mesa" "vulkan-tools" "glxinfo" "hyprland" "sway" "i3" "i3status" "polybar" "picom" "nitrogen"
    "arandr" "autorandr" "networkmanager-openvpn" "blueman" "adwaita-icon-theme" "papirus-icon-theme"
    "noto-fonts" "noto-fonts-emoji" "noto-fonts-cjk-sans" "dejavu_fonts" "liberation_ttf"
    "fira-code" "jetbrains-mono" "terminus_font" "font-awesome" "source-code-pro" "hack-font"
    "gnome-shell" "gnome-session" "plasma-workspace" "sddm" "gdm" "lightdm" "flatpak" "appimage-run"
    "nix-ld" "steam-run"
  ];

  # Nested package sets: set name -> member names.
  sets = {
    python3Packages = [
      "requests" "numpy" "pandas" "scipy" "matplotlib" "flask" "django" "fastapi" "uvicorn" "pytest"
      "pip" "setuptools" "wheel" "virtualenv" "black" "mypy" "pyyaml" "click" "rich" "httpx" "aiohttp"
      "jinja2" "boto3" "paramiko" "psutil" "pydantic" "ipython" "jupyter" "notebook" "scapy"
      "pyserial" "pillow" "beautifulsoup4" "lxml" "cryptography" "pynvim" "debugpy" "ruff" "toml"
    ];
    nodePackages = [ "npm" "pnpm" "yarn" "typescript" "typescript-language-server" "prettier" "eslint" "node2nix" ];
    haskellPackages = [ "pandoc" "hoogle" "haskell-language-server" "ghcid" "hlint" "ormolu" "xmonad" "xmobar" ];
    perlPackages = [ "JSON" "LWP" "DBI" "Moose" "YAMLLibYAML" ];
    luaPackages = [ "luarocks" "busted" "lpeg" "luasocket" ];
    vimPlugins = [ "telescope-nvim" "nvim-treesitter" "nvim-lspconfig" "lualine-nvim" "vim-nix" "vim-airline" "fzf-vim" "gruvbox" "catppuccin-nvim" "nvim-cmp" ];
    gnome = [ "gnome-tweaks" "gnome-terminal" "nautilus" "gnome-disk-utility" "gnome-shell" "gnome-session" "gdm" "adwaita-icon-theme" ];
    gnomeExtensions = [ "appindicator" "dash-to-dock" "dash-to-panel" "blur-my-shell" "caffeine" "clipboard-indicator" "vitals" ];
    kdePackages = [ "dolphin" "kate" "konsole" "ark" "okular" "gwenview" "spectacle" "plasma-workspace" "sddm" "partitionmanager" "kcalc" "filelight" ];
    libsForQt5 = [ "dolphin" "kate" "konsole" "ark" "okular" "qtstyleplugin-kvantum" ];
    xorg = [ "xorgserver" "xrandr" "xev" "xinit" "xauth" "xhost" "xset" "xsetroot" "xf86videofbdev" "xf86inputevdev" "xkill" "xdpyinfo" ];
    linuxPackages = [ "kernel" "broadcom_sta" "zfs" "nvidia_x11" "virtualboxGuestAdditions" "v4l2loopback" "acpi_call" "rtl8821cu" "cpupower" "perf" ];
    xfce = [ "xfce4-terminal" "thunar" "xfce4-panel" "xfce4-settings" "mousepad" ];
    nerd-fonts = [ "fira-code" "jetbrains-mono" "hack" "symbols-only" "caskaydia-cove" "meslo-lg" ];
  };

  # Extra names for the same nested sets (python312Packages = python3Packages, ...).
  setAliases = {
    python3Packages = [ "python311Packages" "python312Packages" "python313Packages" ];
    linuxPackages = [ "linuxPackages_latest" "linuxPackages_6_1" "linuxPackages_6_6" "linuxPackages_6_12" "linuxPackages_zen" "linuxPackages_hardened" ];
  };
}
