# A small, strict module system in the spirit of NixOS's: imports, option
# declarations with types, definitions merged by priority, mkIf/mkMerge pushed
# down lazily, and the same error messages NixOS users (and our tests) see for
# undeclared options, wrong types and conflicting values.
#
# What it leaves out: option-declaration merging (an option is declared once),
# `disabledModules`, freeform types below a submodule's root, documentation.
lib:
let
  b = builtins;
  inherit (lib) concatMap concatStringsSep imap1 filterAttrs mapAttrsToList setAttrByPath;

  # -- definition properties -------------------------------------------------

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOrder = priority: content: { _type = "order"; inherit priority content; };

  defaultPriority = 100;
  defaultOrder = 1000;

  # -- rendering for messages ---------------------------------------------------

  showOption = loc:
    concatStringsSep "." (map (p: if b.match "[a-zA-Z_][a-zA-Z0-9_'-]*" p != null then p else b.toJSON p) loc);

  # Values in error messages, shallow enough never to force much.
  showValue = depth: v:
    if b.isString v then b.toJSON v
    else if b.isInt v || b.isFloat v then b.toString v
    else if b.isBool v then lib.boolToString v
    else if v == null then "null"
    else if b.isPath v then b.toString v
    else if b.isFunction v then "<function>"
    else if lib.isDerivation v then "<derivation ${v.name}>"
    else if depth <= 0 then (if b.isList v then "[ ... ]" else "{ ... }")
    else if b.isList v then "[ " + concatStringsSep " " (map (showValue (depth - 1)) v) + " ]"
    else if v ? _type then "<${v._type}>"
    else "{ " + lib.concatStrings (mapAttrsToList (n: x: "${n} = ${showValue (depth - 1) x}; ") v) + "}";

  showDefs = defs: lib.concatMapStrings (d: "\n- In `${d.file}': ${showValue 3 d.value}") defs;

  # -- definitions ------------------------------------------------------------

  # Resolve mkMerge/mkIf/mkOverride/mkOrder around one definition into plain
  # values tagged with their priority and order.
  discharge = loc: prio: order: v:
    let t = v._type or null; in
    if t == "merge" then concatMap (discharge loc prio order) v.contents
    else if t == "if" then
      (if !b.isBool v.condition
      then b.throw "The option `${showOption loc}': mkIf called with a non-Boolean condition (${b.typeOf v.condition})."
      else if v.condition then discharge loc prio order v.content
      else [ ])
    else if t == "override" then discharge loc v.priority order v.content
    else if t == "order" then discharge loc prio v.priority v.content
    else [{ value = v; priority = prio; inherit order; }];

  # Push mkIf/mkMerge/mkOverride that wrap an attribute set into its
  # attributes, without evaluating any condition: this keeps `config = mkIf
  # cfg.enable { ... }` lazy, as in NixOS.
  pushDown = loc: file: v:
    let t = v._type or null; in
    if t == "merge" then concatMap (pushDown loc file) v.contents
    else if t == "if" then map (b.mapAttrs (_: mkIf v.condition)) (pushDown loc file v.content)
    else if t == "override" then map (b.mapAttrs (_: mkOverride v.priority)) (pushDown loc file v.content)
    else if b.isAttrs v && t == null then [ v ]
    else b.throw
      "The option path `${showOption loc}' is a set of options, but `${file}' defines it as ${showValue 2 v}."
      ;

  # Merge the definitions of one option by priority, type-check them and
  # combine them with the type's merge function.
  mergeDefinitions = loc: type: defs:
    let
      discharged = concatMap
        (d: map (x: x // { inherit (d) file; }) (discharge loc defaultPriority defaultOrder d.value))
        defs;
      highestPrio = b.foldl' (acc: d: if d.priority < acc then d.priority else acc) 9999 discharged;
      winners = b.filter (d: d.priority == highestPrio) discharged;
      sorted = b.sort (x: y: x.order < y.order) winners;
      checked = map
        (d:
          if type.check d.value then d
          else b.throw
            "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs [ d ]}")
        sorted;
      isDefined = winners != [ ];
    in
    {
      inherit isDefined highestPrio;
      defsFinal = checked;
      mergedValue =
        if isDefined then type.merge loc checked
        else b.throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";
    };

  # -- module collection --------------------------------------------------------

  isOption = v: b.isAttrs v && (v._type or null) == "option";

  # Attributes a module may have besides its option definitions.
  moduleKeys = [ "_file" "key" "imports" "options" "config" "disabledModules" "meta" "freeformType" "_class" ];

  normalize = file: key: m:
    let
      structured = m ? config || m ? options;
      extra = b.removeAttrs m moduleKeys;
    in
    if m ? disabledModules && m.disabledModules != [ ] then
      b.throw "Module `${file}' uses disabledModules, which the nixiso test fixture does not support."
    else if structured && extra != { } then
      b.throw "Module `${file}' has an unsupported attribute `${b.head (b.attrNames extra)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${concatStringsSep " " (b.attrNames extra)}) into the explicit `config' attribute."
    else {
      inherit file key;
      imports = m.imports or [ ];
      options = m.options or { };
      config = if structured then m.config or { } else extra;
      freeformType = m.freeformType or null;
    };

  evalModules = evalArgs@{ modules, specialArgs ? { }, prefix ? [ ], class ? null }:
    let
      # Module function arguments: the fixed ones, special args, and the rest
      # looked up lazily in `_module.args` so that `pkgs` may come from config.
      argsFor = file: f:
        let
          base = { inherit lib config options specialArgs; } // specialArgs;
          wanted = b.removeAttrs (b.functionArgs f) (b.attrNames base);
        in
        base // b.mapAttrs
          (n: _: config._module.args.${n} or (b.throw
            "The module `${file}' needs the argument `${n}', which is neither in _module.args nor in specialArgs."))
          wanted;

      loadItem = parentFile: parentKey: i: m:
        let
          isFile = b.isPath m || b.isString m;
          file0 = if isFile then b.toString m else parentFile;
          raw = if isFile then import m else m;
          applied = if b.isFunction raw then raw (argsFor file0 raw) else raw;
          value =
            if b.isAttrs applied then applied
            else b.throw "The module `${file0}' is not an attribute set or a function returning one (it is ${b.typeOf applied}).";
          file = b.toString (value._file or file0);
          key =
            if value ? key then b.toString value.key
            else if isFile then b.toString m
            else "${parentKey}:anon-${b.toString i}";
          module = normalize file key value;
        in
        { inherit key module; children = imap1 (loadItem file key) module.imports; };

      internal = {
        _file = "<nixiso-fixture lib/modules.nix>";
        key = "<nixiso-fixture module arguments>";
        options._module.args = lib.mkOption {
          type = lib.types.lazyAttrsOf lib.types.raw;
          default = { };
          description = "Arguments passed to each module.";
        };
        config._module.args = { inherit extendModules; moduleType = null; };
      };

      collected = map (x: x.module) (b.genericClosure {
        startSet = imap1 (loadItem "<unknown-file>" "root") ([ internal ] ++ modules);
        operator = x: x.children;
      });

      declTree = declarations [ ] (map (m: { inherit (m) file; value = m.options; }) collected);
      evaluated = evalNode [ ] declTree (map (m: { inherit (m) file; value = m.config; }) collected);

      freeformTypes = b.filter (t: t != null) (map (m: m.freeformType) collected);
      freeformConfig =
        if freeformTypes == [ ] then { }
        else (b.head freeformTypes).merge prefix
          (map (u: { inherit (u) file; value = setAttrByPath u.loc u.value; }) evaluated.unmatched);

      config = freeformConfig // evaluated.config;
      options = evaluated.options;

      # Undeclared definitions fail as soon as the final config is looked at.
      check =
        if freeformTypes != [ ] || evaluated.unmatched == [ ] then null
        else
          let u = b.head evaluated.unmatched; in
          b.throw "The option `${showOption (prefix ++ u.loc)}' does not exist. Definition values:${showDefs [ u ]}";

      extendModules = ext: evalModules (evalArgs // {
        modules = modules ++ (ext.modules or [ ]);
        specialArgs = specialArgs // (ext.specialArgs or { });
        prefix = ext.prefix or prefix;
      });

      # Fills declaration records and evaluates a subtree of options.
      evalNode = loc: decl: defs:
        let
          pushed = concatMap (d: map (v: { inherit (d) file; value = v; }) (pushDown (prefix ++ loc) d.file d.value)) defs;
          grouped = b.zipAttrsWith (_: ds: ds)
            (map (d: b.mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) pushed);
          children = b.mapAttrs
            (name: sub:
              let subDefs = grouped.${name} or [ ]; in
              if isOption sub then evalOption (loc ++ [ name ]) sub subDefs
              else evalNode (loc ++ [ name ]) sub subDefs)
            decl;
          undeclaredHere = concatMap
            (name: map (d: { loc = loc ++ [ name ]; inherit (d) file value; }) grouped.${name})
            (b.filter (name: !(decl ? ${name})) (b.attrNames grouped));
        in
        {
          config = b.mapAttrs (n: r: if isOption decl.${n} then r.value else r.config) children;
          options = b.mapAttrs (n: r: if isOption decl.${n} then r else r.options) children;
          unmatched = undeclaredHere
            ++ concatMap (n: if isOption decl.${n} then [ ] else children.${n}.unmatched) (b.attrNames decl);
        };

      evalOption = loc: opt: defs:
        let
          fullLoc = prefix ++ loc;
          defaultDefs = lib.optional (opt ? default)
            { file = b.head opt.declarations; value = mkOverride 1500 opt.default; };
          res = mergeDefinitions fullLoc opt.type (defaultDefs ++ defs);
          readOnlyCheck =
            if (opt.readOnly or false) && b.length res.defsFinal > 1
            then b.throw "The option `${showOption fullLoc}' is read-only, but it's set multiple times. Definition values:${showDefs res.defsFinal}"
            else true;
          merged = b.seq readOnlyCheck res.mergedValue;
        in
        opt // {
          loc = fullLoc;
          value = if opt ? apply then opt.apply merged else merged;
          inherit (res) isDefined highestPrio;
          definitions = map (d: d.value) res.defsFinal;
          definitionsWithLocations = map (d: { inherit (d) file value; }) res.defsFinal;
          files = map (d: d.file) res.defsFinal;
        };
    in
    {
      config = b.seq check config;
      inherit options extendModules;
      _module = config._module;
      type = lib.types.submoduleWith { inherit modules specialArgs; };
    };

  # Merge the option declarations of all modules into one tree; an option
  # declared twice is an error (NixOS would try to merge compatible ones).
  declarations = loc: decls:
    let
      grouped = b.zipAttrsWith (_: ds: ds)
        (map (d: b.mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) decls);
    in
    b.mapAttrs
      (name: entries:
        let
          here = loc ++ [ name ];
          opts = b.filter (e: isOption e.value) entries;
        in
        if opts == [ ] then
          (if lib.all (e: b.isAttrs e.value) entries then declarations here entries
          else b.throw "The option declaration `${showOption here}' in `${(b.head entries).file}' is neither an option (mkOption) nor a set of options.")
        else if b.length entries > 1 then
          b.throw "The option `${showOption here}' in `${(b.elemAt entries 1).file}' is already declared in `${(b.head entries).file}'."
        else
          (b.head opts).value // { declarations = [ (b.head opts).file ]; })
      grouped;

  mkOption = attrs@{ type ? lib.types.unspecified, ... }: attrs // { _type = "option"; inherit type; };

  # -- renamed and removed options (lib/modules.nix in nixpkgs) ---------------

  # "`a' and `b'", as NixOS lists the files that define an option.
  showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

  # `from` becomes an alias of `to`: its definitions are passed on with their
  # priority, and (when `warn`) NixOS's deprecation warning joins `warnings`.
  doRename = { from, to, visible, warn, use }: { config, options, ... }:
    let fromOpt = lib.getAttrFromPath from options; in
    {
      options = setAttrByPath from (mkOption {
        type = lib.types.raw;
        inherit visible;
        description = "Alias of `${showOption to}'.";
        apply = _: use (lib.getAttrFromPath to config);
      });
      config = mkMerge [
        { warnings = lib.optional (warn && fromOpt.isDefined)
            "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'."; }
        (mkIf fromOpt.isDefined
          (setAttrByPath to (mkMerge (map (mkOverride fromOpt.highestPrio) fromOpt.definitions))))
      ];
    };

  mkRenamedOptionModule = from: to: doRename {
    inherit from to;
    visible = false;
    warn = true;
    use = b.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
  };

  # Warns only once every supported release has `to` (sinceRelease is e.g. 2311).
  mkRenamedOptionModuleWith = { from, to, sinceRelease }: doRename {
    inherit from to;
    visible = false;
    warn = lib.trivial.isInOldestRelease sinceRelease;
    use = lib.warnIf (lib.trivial.isInOldestRelease sinceRelease)
      "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
  };

  mkAliasOptionModule = from: to: doRename { inherit from to; visible = true; warn = false; use = x: x; };

  # Defining a removed option fails the build with NixOS's assertion.
  mkRemovedOptionModule = optionName: replacementInstructions: { options, ... }:
    let opt = lib.getAttrFromPath optionName options; in
    {
      options = setAttrByPath optionName (mkOption {
        type = lib.types.raw;
        visible = false;
        apply = _: b.throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      });
      config.assertions = [{
        assertion = !opt.isDefined;
        message = ''
          The option definition `${showOption optionName}' in ${showFiles opt.files} no longer has any effect; please remove it.
          ${replacementInstructions}
        '';
      }];
    };
in
{
  inherit evalModules mkIf mkMerge mkOverride mkOrder mkOption showOption showValue mergeDefinitions;
  mkDefault = mkOverride 1000;
  mkOptionDefault = mkOverride 1500;
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;
  mkImageMediaOverride = mkOverride 60;
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  mkEnableOption = name: mkOption {
    type = lib.types.bool;
    default = false;
    example = true;
    description = "Whether to enable ${name}.";
  };
  mkPackageOption = pkgs: name: extra:
    let path = lib.toList (extra.default or name); in
    mkOption {
      type = lib.types.package;
      description = "The ${name} package to use.";
    } // lib.optionalAttrs (lib.hasAttrByPath path pkgs) { default = lib.getAttrFromPath path pkgs; }
    // b.removeAttrs extra [ "default" "extraDescription" "pkgsText" ];
  mkSinkUndeclaredOptions = attrs: mkOption ({ type = lib.types.anything; internal = true; } // attrs);
  literalExpression = text: { _type = "literalExpression"; inherit text; };
  literalMD = text: { _type = "literalMD"; inherit text; };
  literalExample = text: { _type = "literalExpression"; inherit text; };
  mdDoc = x: x;
  mkAliasDefinitions = opt: mkIf opt.isDefined (mkOverride opt.highestPrio opt.value);
  inherit mkRenamedOptionModule mkRenamedOptionModuleWith mkAliasOptionModule mkRemovedOptionModule showFiles;
}
