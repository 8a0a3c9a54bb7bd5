# Login shells (users.users.<name>.shell, users.defaultUserShell,
# programs.{zsh,fish}.enable): real programs from the host rather than
# stand-ins that print their name, so that a booted stand-in ISO logs in to
# the shell the configuration names, with that shell's real syntax, prompt
# and start-up files. Each has the `shellPath` attribute NixOS's
# types.shellPackage checks for and users-groups.nix puts in /etc/passwd as
# /run/current-system/sw<shellPath>.
#
# A test-only impurity like the ISO's kernel: the host's files are copied
# when the package is built, and their contents are not part of the
# derivation (after replacing them, delete the package from the store).
# A missing host file fails the build, naming tools/scripts/install-deps.sh.
{ lib, shellDerivation }:
let
  needs = what: pkg: ''
    echo "nixiso fixture: ${what} is missing on the host (the stand-in's ${pkg} is the host's): run tools/scripts/install-deps.sh" >&2
    exit 1
  '';

  # NixOS has a terminfo database in /etc/terminfo (the system profile's
  # share/terminfo); zsh warns without one and fish's line editor needs it.
  # The packages that need it carry the host's, and stage 2 links it there.
  copyTerminfo = ''
    mkdir -p "$out/share/terminfo"
    for dir in /lib/terminfo /usr/share/terminfo; do
      [ -d "$dir" ] && cp -r "$dir/." "$out/share/terminfo/"
    done
  '';

  # A dynamically linked host program made self-contained as Nix makes
  # its own: the shared libraries ldd names for the given files (the
  # program and any modules it loads) and their loader copied to lib/, and
  # the program patched (patchelf) to use them (the busybox initramfs has
  # no /lib).
  withLibraries = name: files: ''
    command -v patchelf >/dev/null || { ${needs "patchelf" name} }
    mkdir -p "$out/lib"
    for lib in $(for f in ${files}; do ldd "$f"; done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
      [ -e "$out/lib/''${lib##*/}" ] || cp -L "$lib" "$out/lib/"
    done
    chmod -R u+w "$out"
    loader=$(cd "$out/lib" && ls ld-linux*.so.* | head -n 1)
    patchelf --set-interpreter "$out/lib/$loader" --force-rpath --set-rpath "$out/lib" "$out/bin/${name}"
  '';

  shellPackage = { pname, version, shellPath, mainProgram ? baseNameOf shellPath, description, script }:
    shellDerivation { name = "${pname}-${version}"; inherit pname version script; } // {
      inherit pname version shellPath;
      meta = {
        description = "nixiso test stand-in for ${pname}: ${description}";
        inherit mainProgram;
        license = { free = true; shortName = "free"; };
        platforms = lib.systems.flakeExposed;
      };
      passthru = { inherit shellPath; };
    };

  bashPackage = pname: shellPackage {
    inherit pname;
    version = "5.2.15";
    shellPath = "/bin/bash";
    description = "the image's /bin/bash (bash-static)";
    # The stand-in's initramfs already has bash-static as /bin/bash (the ISO
    # builder copies it there), so bin/bash links to it rather than carrying
    # a second copy into every image.
    script = ''
      mkdir -p "$out/bin"
      ln -s /bin/bash "$out/bin/bash"
    '';
  };
in
{
  bash = bashPackage "bash";
  bashInteractive = bashPackage "bash-interactive";

  # Debian's zsh and its modules (lib/zsh/<version>), plus the function
  # library NixOS's zsh carries in share/zsh/<version>/functions (flat, as
  # zsh installs it): promptinit and its themes (NixOS's default prompt is
  # `prompt suse`), add-zsh-hook, compinit and the base completions,
  # zsh-newuser-install. The host's zsh looks for modules and functions in
  # /usr; the stand-in's /etc/zshenv points module_path and fpath here.
  # (Not zsh-static: a static glibc cannot look users up without the host's
  # NSS libraries, so its prompt would have no user name.)
  zsh = shellPackage {
    pname = "zsh";
    version = "5.9";
    shellPath = "/bin/zsh";
    description = "the host's zsh with its libraries and zsh-common's functions";
    script = ''
      modules=$(ls -d /usr/lib/*/zsh/[0-9]* 2>/dev/null | head -n 1)
      [ -x /bin/zsh ] && [ -n "$modules" ] || { ${needs "/bin/zsh and its modules (Debian's zsh)" "zsh"} }
      [ -d /usr/share/zsh/functions/Prompts ] || { ${needs "/usr/share/zsh/functions (Debian's zsh-common)" "zsh"} }
      version=$(/bin/zsh -fc 'print -r -- $ZSH_VERSION')
      mkdir -p "$out/bin" "$out/lib/zsh"
      cp /bin/zsh "$out/bin/zsh"
      cp -r "$modules" "$out/lib/zsh/$version"
      ${withLibraries "zsh" ''"$out/bin/zsh" $(find "$out/lib/zsh" -name "*.so")''}
      functions="$out/share/zsh/$version/functions"
      mkdir -p "$functions"
      for dir in Prompts Misc Newuser Completion Completion/Base Completion/Zsh; do
        for file in /usr/share/zsh/functions/"$dir"/*; do
          [ -f "$file" ] && [ "''${file%.zwc}" = "$file" ] && cp "$file" "$functions/"
        done
      done
      ${copyTerminfo}
    '';
  } // { terminfo = "share/terminfo"; };

  # Debian's fish (there is no static build) with its libraries;
  # share/fish (its functions and config.fish, not the completions or man
  # pages) beside it, where fish looks relative to its executable; and a
  # terminfo database (see copyTerminfo).
  fish = shellPackage {
    pname = "fish";
    version = "3.6.0";
    shellPath = "/bin/fish";
    description = "the host's fish with its libraries";
    script = ''
      [ -x /usr/bin/fish ] || { ${needs "/usr/bin/fish (Debian's fish)" "fish"} }
      mkdir -p "$out/bin" "$out/share/fish" "$out/etc/fish"
      cp /usr/bin/fish "$out/bin/fish"
      ${withLibraries "fish" ''"$out/bin/fish"''}
      cp -r /usr/share/fish/config.fish /usr/share/fish/functions "$out/share/fish/"
      mkdir -p "$out/share/fish/vendor_completions.d" "$out/share/fish/vendor_conf.d" "$out/share/fish/vendor_functions.d"
      ${copyTerminfo}
      # fish reads its system config from etc/fish beside its executable
      # (NixOS's fish: /etc/fish); this hands over to /etc/fish/config.fish,
      # which programs.fish writes.
      cat > "$out/etc/fish/config.fish" <<'EOF'
      test -r /etc/fish/config.fish; and source /etc/fish/config.fish
      EOF
    '';
  } // { terminfo = "share/terminfo"; };

  # NixOS's default shell for users that are not normal users (and the
  # package users-groups.nix installs for them): shellPath /bin/nologin.
  shadow = shellPackage {
    pname = "shadow";
    version = "4.14.6";
    shellPath = "/bin/nologin";
    mainProgram = "nologin";
    description = "nologin, as shadow's";
    script = ''
      mkdir -p "$out/bin"
      printf '#!/bin/sh\necho "This account is currently not available."\nexit 1\n' > "$out/bin/nologin"
      chmod +x "$out/bin/nologin"
    '';
  };
}
