# Offline stand-in for hercules-ci/flake-parts (`--override-input flake-parts
# path:…`), written from its documentation. No inputs: `lib` comes from the
# user's `nixpkgs` input. Models `lib.mkFlake { inputs, specialArgs ? { } }
# module` with this subset of flake-parts' module system:
# - modules are paths, attribute sets or functions of { self, inputs, config,
#   lib, withSystem, getSystem, flake-parts-lib, … } (plus specialArgs and
#   `_module.args`); `imports` recursively, each file once; `_file`, `key`,
#   `_class`; `config`/`options` (top-level `mkOption`s: default or one
#   definition, no types);
# - options: `systems` (lists concatenated), `flake`, `perSystem`, `debug`;
#   anything else fails with "The option `foo' does not exist.";
# - `flake`: nixosConfigurations/nixosModules/overlays merge by name,
#   packages/devShells/checks/apps/legacyPackages by system and name,
#   formatter by system; a name defined twice fails as flake-parts' unique
#   types do. Other attributes are free-form: one definition each (two fail
#   with flake-parts' "No option has been declared for this flake output
#   attribute" message), as flake-parts has it;
# - `perSystem` modules get { system, pkgs, self', inputs', config, lib };
#   `pkgs` is `inputs.nixpkgs.legacyPackages.${system}` unless
#   `_module.args.pkgs` is set; their packages/devShells/checks/apps/
#   legacyPackages/formatter are transposed to `<attr>.<system>`.
# Not modelled: option types and type checks, mkIf/mkMerge/mkDefault/
# mkForce in definitions, perSystem option declarations of other modules
# (mkPerSystemOption), `flake` as a module function, `moduleWithSystem`,
# the `options` argument, partitions, the `flakeModules`/`easyOverlay`
# extras, `debug`'s currentSystem (`debug = true` adds `debug` = config).
{
  description = "nixiso test fixture: a stand-in for flake-parts";

  outputs = { self }:
    let
      b = builtins;
      head = b.head;
      names = b.attrNames;
      show = v:
        if b.isString v then ''"${v}"''
        else if b.isAttrs v then (if (v.type or null) == "derivation" then "<derivation ${v.name}>" else "{ ${b.concatStringsSep " " (map (n: "${n} = …;") (names v))} }")
        else if b.isFunction v then "<function>" else if b.isList v then "[ … ]" else b.toJSON v;
      defsText = defs: b.concatStringsSep "" (map (d: "\n- In `${d.file}': ${show d.value}") defs);
      meta = [ "_file" "key" "_class" "imports" "options" "config" ];

      # Modules reachable from `roots` ([{ file, where, key, value }]): { file, where, defs, options }.
      # `where` names a file without the flake's store path: errors met while
      # Nix lists the outputs cannot read self.outPath yet.
      # A module function's argument is looked up in `fixed`, then in `late`
      # (`_module.args`, the defaults): fixed ones (inputs, self, …) may be
      # used in `imports`, as flake-parts' specialArgs may.
      collect = fixed: late: roots:
        let
          load = file0: where0: parentKey: i: m:
            let
              isFile = b.isPath m || b.isString m;
              file1 = if isFile then toString m else file0;
              where1 = if isFile then toString m else where0;
              raw = if isFile then import m else m;
              value = if !b.isFunction raw then raw else raw (b.mapAttrs
                (n: _: fixed.${n} or late.${n} or (throw "The module `${where1}' needs the argument `${n}', which is neither in _module.args nor in specialArgs (the nixiso flake-parts stand-in passes: ${b.concatStringsSep ", " (names fixed)})."))
                (b.functionArgs raw));
              m' = if b.isAttrs value then value else throw "The module `${where1}' is not an attribute set or a function returning one (it is ${b.typeOf value}).";
              file = toString (m'._file or file1);
              where = toString (m'._file or where1);
              key = if m' ? key then toString m'.key else if isFile then toString m else "${parentKey}:anon-${toString i}";
              structured = m' ? config || m' ? options;
              extra = b.removeAttrs m' meta;
              imports = m'.imports or [ ];
            in
            {
              inherit file where key;
              options = m'.options or { };
              defs = if !structured then extra else if extra == { } then m'.config or { }
                else throw "Module `${where}' has an unsupported attribute `${head (names extra)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${b.concatStringsSep " " (names extra)}) into the explicit `config' attribute.";
              children = b.genList (j: load file where key j (b.elemAt imports j)) (b.length imports);
            };
        in
        b.genericClosure { startSet = map (r: load r.file r.where r.key 0 r.value) roots; operator = x: x.children; };

      # All definitions of the allowed (or declared) options, as { name = [ { file, value } ]; },
      # and `checked`, which fails for an undeclared one as the module system does.
      definitions = prefix: allowed: mods:
        let
          declared = b.foldl' (acc: m: acc // m.options) { } mods;
          known = allowed ++ [ "_module" ] ++ names declared;
          unknown = b.concatMap (m: map (n: { inherit (m) file; name = n; value = m.defs.${n}; }) (b.filter (n: !b.elem n known) (names m.defs))) mods;
          bad = head unknown;
        in
        {
          inherit declared;
          defs = b.zipAttrsWith (_: vs: vs) (map (m: b.mapAttrs (_: value: { inherit (m) file where; inherit value; }) m.defs) mods);
          checked = b.seq (if unknown != [ ] then throw "The option `${prefix}${bad.name}' does not exist. Definition values:${defsText [ bad ]}" else null);
        };

      unique = extra: loc: defs:
        if b.length defs == 1 then (head defs).value
        else throw "The option `${loc}' is defined multiple times while it's expected to be unique.${extra}\nDefinition values:${defsText defs}";
      attrsDefs = loc: defs: map (d: if b.isAttrs d.value then d else throw "A definition for option `${loc}' is not of type `${if loc == "flake" then "submodule" else "lazy attribute set"}'${if b.isFunction d.value then " (a module function is not modelled by the nixiso flake-parts stand-in)" else ""}. Definition values:${defsText [ (d // { file = d.where or d.file; }) ]}") defs;
      # Merges attribute sets `depth` levels deep, then `leaf`.
      byName = depth: leaf: loc: defs:
        if depth == 0 then leaf loc defs
        else b.zipAttrsWith (n: byName (depth - 1) leaf "${loc}.${n}")
          (map (d: b.mapAttrs (_: value: { inherit (d) file; inherit value; }) d.value) (attrsDefs loc defs));
      moduleArgs = prefix: defs: byName 1 (unique "") "${prefix}_module.args"
        (map (d: if names d.value == [ "args" ] then { inherit (d) file; value = d.value.args; } else throw "The option `${prefix}_module.${head (b.filter (n: n != "args") (names d.value))}' does not exist (the nixiso flake-parts stand-in models `_module.args' only).") (defs._module or [ ]));
      optionValues = declared: defs: b.mapAttrs (n: o:
        if !(b.isAttrs o && (o._type or null) == "option") then throw "The option declaration `${n}' is not an option (mkOption); nested declarations are not modelled by the nixiso flake-parts stand-in."
        else if defs ? ${n} then unique "" n defs.${n}
        else o.default or (throw "The option `${n}' was accessed but has no value defined. Try setting the option.")) declared;

      transposed = [ "packages" "devShells" "checks" "apps" "legacyPackages" "formatter" ];
      undeclaredHelp = "\nNo option has been declared for this flake output attribute, so its definitions can't be merged automatically.\nPossible solutions:\n  - Load a module that defines this flake output attribute\n    Many modules are listed at https://flake.parts\n  - Declare an option for this flake output attribute\n  - Make sure the output attribute is spelled correctly\n  - Define the value only once, with a single definition in a single module";
      mergeFlake = defs:
        let zipped = b.zipAttrsWith (_: vs: vs) (map (d: b.mapAttrs (_: value: { inherit (d) file; inherit value; }) d.value) (attrsDefs "flake" defs)); in
        b.mapAttrs (n: vs:
          if b.elem n [ "nixosConfigurations" "overlays" "formatter" ] then byName 1 (unique "") "flake.${n}" vs
          else if n == "nixosModules" then byName 1 (loc: ds: if b.length ds == 1 then (head ds).value else { imports = map (d: d.value) ds; }) "flake.${n}" vs
          else if b.elem n transposed then byName 2 (unique "") "flake.${n}" vs
          else unique undeclaredHelp "flake.${n}" vs) zipped;

      mkFlake = { inputs, specialArgs ? { }, ... }: module:
        let
          flakeSelf = inputs.self or (throw "flake-parts.lib.mkFlake: the first argument needs `inputs' including `self' (write `outputs = inputs@{ flake-parts, ... }: flake-parts.lib.mkFlake { inherit inputs; } { … }').");
          lib = inputs.nixpkgs.lib or (throw "The nixiso flake-parts stand-in takes `lib' from the flake's `nixpkgs' input, which this flake does not have.");
          topFile = "${flakeSelf.outPath or "<flake>"}/flake.nix";
          top = definitions "" [ "systems" "flake" "perSystem" "debug" ]
            (collect topArgs (moduleArgs "" d) [{ file = topFile; where = "flake.nix"; key = "flake-parts-root"; value = module; }]);
          d = top.defs;
          topArgs = specialArgs // {
            self = flakeSelf;
            inherit inputs lib config withSystem getSystem;
            flake-parts-lib = self.lib;
            options = throw "The nixiso flake-parts stand-in does not model the `options' module argument.";
          };
          systems = if d ? systems then b.concatLists (map (x: if b.isList x.value then x.value else throw "A definition for option `systems' is not of type `list of string'. Definition values:${defsText [ x ]}") d.systems)
            else throw "The option `systems' was accessed but has no value defined. Try setting the option.";

          perSystemDefs = d.perSystem or [ ];
          perSystem = system:
            let
              p = definitions "perSystem.${system}." transposed (collect args ({ inherit pkgs; } // moduleArgs "perSystem.${system}." pd)
                (b.genList (i: let x = b.elemAt perSystemDefs i; in { inherit (x) file where value; key = "${x.file}:perSystem-${toString i}"; }) (b.length perSystemDefs)));
              pd = p.defs;
              perInput = flake: b.listToAttrs (map (n: { name = n; value = flake.${n}.${system} or (throw "flake-parts: the input does not provide `${n}.${system}'."); }) (b.filter (n: flake ? ${n}) transposed));
              pkgs = inputs.nixpkgs.legacyPackages.${system} or (throw "flake-parts: `pkgs' is `inputs.nixpkgs.legacyPackages.${system}', but the flake has no `nixpkgs' input providing it. Add the input or set `perSystem._module.args.pkgs'.");
              args = specialArgs // {
                inherit system lib config;
                self' = perInput flakeSelf;
                inputs' = b.mapAttrs (_: perInput) inputs;
              };
              config = b.mapAttrs (_: p.checked) (b.listToAttrs (map (n: { name = n; value = byName 1 (unique "") "perSystem.${system}.${n}" (pd.${n} or [ ]); }) (b.filter (n: n != "formatter") transposed))
                // { formatter = if pd ? formatter then unique "" "perSystem.${system}.formatter" pd.formatter else null; }
                // optionValues p.declared pd);
            in
            { inherit config; args = args // { pkgs = (moduleArgs "perSystem.${system}." pd).pkgs or pkgs; }; };
          allSystems = b.listToAttrs (map (s: { name = s; value = perSystem s; }) systems);
          getSystem = s: (allSystems.${s} or (perSystem s)).config;
          withSystem = s: f: f ((allSystems.${s} or (perSystem s)).args // { config = getSystem s; });

          fromPerSystem = n: {
            file = "${toString ./.}/flake.nix, perSystem.<system>.${n}";
            value.${n} = b.listToAttrs (b.concatMap (s: let v = allSystems.${s}.config.${n}; in if v == null then [ ] else [{ name = s; value = v; }]) systems);
          };
          debug = if d ? debug then unique "" "debug" d.debug else false;
          config = optionValues top.declared d // {
            inherit systems debug;
            allSystems = b.mapAttrs (_: s: s.config) allSystems;
            flake = { nixosConfigurations = { }; nixosModules = { }; overlays = { }; }
              // mergeFlake ((d.flake or [ ]) ++ map fromPerSystem transposed);
            perSystem = getSystem;
          };
        in
        # Undeclared options fail when an output is looked at, not when the
        # flake's attribute names are (self.outPath is known by then).
        b.mapAttrs (_: top.checked) (config.flake // (if debug then { debug = config; } else { }));
    in
    {
      lib = { inherit mkFlake; };
    };
}
