# The fixture package set: every listed name (names.nix) is a tiny but real
# derivation, built by the host's /bin/sh with the host's coreutils. There is
# no stdenv and no sandbox here, so builds are impure on purpose: they only
# have to be fast, distinct per name and visible in the image's description.
{ lib, system, config ? { }, overlays ? [ ] }:
let
  b = builtins;
  names = import ./names.nix;
  defaultVersion = "1.0";
  hostPath = "/usr/bin:/bin";

  platform = lib.systems.elaborate system;

  allowUnfree = config.allowUnfree or false || b.getEnv "NIXPKGS_ALLOW_UNFREE" == "1";
  unfree = [
    "google-chrome" "steam" "steam-run" "spotify" "discord" "slack" "vscode" "nvidia_x11"
    "broadcom_sta" "terraform" "vault" "consul" "nomad" "packer" "linux-firmware-unfree"
  ];

  # A derivation run by /bin/sh -c; PATH is the host's plus any inputs' bin.
  shellDerivation = { name, script, inputs ? [ ], ... }@attrs:
    b.derivation (b.removeAttrs attrs [ "script" "inputs" "meta" "passthru" ] // {
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" script ];
      PATH = lib.concatStringsSep ":" (map (p: "${p}/bin") inputs ++ [ hostPath ]);
    });

  # One stand-in package: bin/<mainProgram> prints its name and version.
  fixturePackage = attrs@{ pname, version ? defaultVersion, mainProgram ? pname, ... }:
    let
      name = "${pname}-${version}";
      isUnfree = b.elem pname unfree;
      refuse = b.throw ''
        Package ‘${name}’ in the nixiso fixture nixpkgs has an unfree license (‘unfree’), refusing to evaluate.
        Set { nixpkgs.config.allowUnfree = true; } in the NixOS configuration, or NIXPKGS_ALLOW_UNFREE=1 with --impure.'';
      drv = shellDerivation {
        inherit name pname version mainProgram;
        script = ''
          mkdir -p "$out/bin"
          printf '#!/bin/sh\necho "%s %s (nixiso fixture stand-in)"\n' "$pname" "$version" > "$out/bin/$mainProgram"
          chmod +x "$out/bin/$mainProgram"
        '';
      };
      self = drv // {
        inherit pname version;
        meta = {
          description = "nixiso test stand-in for ${pname}";
          inherit mainProgram;
          license = { free = !isUnfree; shortName = if isUnfree then "unfree" else "free"; };
          platforms = lib.systems.flakeExposed;
        } // (attrs.meta or { });
        passthru = attrs.passthru or { };
        overrideAttrs = f:
          let r = f attrs; in fixturePackage (attrs // (if b.isFunction r then r attrs else r));
        override = _: self;
      } // (attrs.passthru or { });
    in
    if isUnfree && !allowUnfree then self // { outPath = refuse; drvPath = refuse; } else self;

  # symlinkJoin/buildEnv: one directory of links to the given packages' bin/.
  joinPackages = { name, paths, ... }@attrs: shellDerivation {
    inherit name;
    paths = map b.toString paths;
    script = ''
      mkdir -p "$out/bin"
      for p in $paths; do
        [ -d "$p/bin" ] || continue
        for f in "$p"/bin/*; do ln -sf "$f" "$out/bin/"; done
      done
    '';
  } // {
    pname = attrs.pname or (lib.getName name);
    version = lib.getVersion name;
    # Lets the image description list what an environment contains.
    fixtureJoinedPaths = paths;
  };

  writeTextFile = { name, text, executable ? false, destination ? "", ... }: shellDerivation {
    inherit name text destination;
    passAsFile = [ "text" ];
    executable = if executable then "1" else "";
    script = ''
      target="$out$destination"
      mkdir -p "$(dirname "$target")"
      cp "$textPath" "$target"
      [ -z "$executable" ] || chmod +x "$target"
    '';
  };

  offline = what: _: b.throw "${what}: the nixiso fixture nixpkgs works offline and cannot fetch anything.";

  # The set before overlays; `self` is the final set (after overlays).
  base = self:
    let
      named = lib.genAttrs names.top (n: fixturePackage { pname = n; });
      nested = b.mapAttrs (set: members: lib.genAttrs members (n: fixturePackage { pname = n; })) names.sets;
      aliases = lib.foldl' (acc: set: acc // lib.genAttrs names.setAliases.${set} (_: nested.${set})) { }
        (b.attrNames names.setAliases);
      stdenv = {
        inherit system;
        hostPlatform = platform;
        buildPlatform = platform;
        targetPlatform = platform;
        isLinux = platform.isLinux;
        isDarwin = false;
        shell = "/bin/sh";
        cc = named.gcc;
        # Enough of mkDerivation for small local packages: buildCommand or
        # installPhase run in /bin/sh; otherwise a stand-in like any other.
        mkDerivation = arg:
          let attrs = if b.isFunction arg then lib.fix (final: arg final) else arg; in
          if attrs ? buildCommand || attrs ? installPhase then
            shellDerivation
              (b.removeAttrs attrs [ "buildCommand" "installPhase" "buildPhase" "nativeBuildInputs" "buildInputs" "meta" "passthru" ] // {
                name = attrs.name or "${attrs.pname}-${attrs.version or defaultVersion}";
                inputs = attrs.nativeBuildInputs or [ ] ++ attrs.buildInputs or [ ];
                script = attrs.buildCommand or ''
                  ${attrs.buildPhase or ""}
                  ${attrs.installPhase}
                '';
              }) // { pname = attrs.pname or (lib.getName attrs.name); version = attrs.version or (lib.getVersion attrs.name); meta = attrs.meta or { }; }
          else fixturePackage ({ pname = attrs.pname or (lib.getName attrs.name); version = attrs.version or (lib.getVersion attrs.name); }
            // lib.optionalAttrs (attrs ? meta.mainProgram) { inherit (attrs.meta) mainProgram; });
      };
    in
    named // nested // aliases // {
      inherit lib system config stdenv;
      pkgs = self;
      path = ./..;
      stdenvNoCC = stdenv;
      hostPlatform = platform;
      buildPlatform = platform;
      targetPlatform = platform;
      buildPackages = self;
      pkgsBuildHost = self;
      pkgsCross = { };

      runCommand = name: env: script: shellDerivation (b.removeAttrs env [ "passthru" "meta" ] // {
        inherit name script;
        inputs = env.nativeBuildInputs or [ ] ++ env.buildInputs or [ ];
      });
      runCommandLocal = self.runCommand;
      runCommandNoCC = self.runCommand;
      inherit writeTextFile;
      writeText = name: text: writeTextFile { inherit name text; };
      writeTextDir = path: text: writeTextFile { name = baseNameOf path; inherit text; destination = "/${path}"; };
      writeScript = name: text: writeTextFile { inherit name text; executable = true; };
      writeScriptBin = name: text: writeTextFile { inherit name text; executable = true; destination = "/bin/${name}"; };
      writeShellScript = name: text: writeTextFile { inherit name; executable = true; text = "#!/usr/bin/env bash\n${text}"; };
      writeShellScriptBin = name: text: writeTextFile { inherit name; executable = true; destination = "/bin/${name}"; text = "#!/usr/bin/env bash\n${text}"; } // { meta.mainProgram = name; };
      writeShellApplication = { name, text, runtimeInputs ? [ ], ... }:
        self.writeShellScriptBin name "export PATH=${lib.makeBinPath runtimeInputs}:$PATH\nset -o errexit -o nounset -o pipefail\n${text}";
      symlinkJoin = joinPackages;
      buildEnv = joinPackages;
      callPackage = fn: args:
        let f = if b.isFunction fn then fn else import fn; in
        f (b.intersectAttrs (b.functionArgs f) self // args);

      fetchurl = offline "fetchurl";
      fetchzip = offline "fetchzip";
      fetchgit = offline "fetchgit";
      fetchFromGitHub = offline "fetchFromGitHub";
      fetchFromGitLab = offline "fetchFromGitLab";
      fetchtarball = offline "fetchTarball";

      # python3.withPackages (ps: [ ps.requests ]) is common in ISO configs.
      python3 = named.python3 // {
        pkgs = self.python3Packages;
        withPackages = f: joinPackages {
          name = "python3-${defaultVersion}-env";
          pname = "python3-env";
          paths = [ named.python3 ] ++ f self.python3Packages;
        };
      };
      nerdfonts = fixturePackage { pname = "nerdfonts"; };

      # Login shells are real programs (the host's), see shells.nix.
      inherit (import ./shells.nix { inherit lib shellDerivation; }) bash bashInteractive zsh fish shadow;

      nixos-generators = self.callPackage ./nixos-generators { };
    };
in
lib.fix (lib.foldl' (f: overlay: lib.extends overlay f) base overlays)
