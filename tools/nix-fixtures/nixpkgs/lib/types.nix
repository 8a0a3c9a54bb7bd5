# Option types for the fixture's module system. Descriptions match the words
# NixOS prints in "is not of type `...'" errors (string, boolean, signed
# integer, list of ..., ...), because tests and users read those messages.
lib:
let
  b = builtins;
  inherit (lib) concatMap concatStringsSep imap1 showOption mergeDefinitions;

  mkOptionType =
    { name
    , description ? name
    , check ? (_: true)
    , merge ? mergeDefault
    , nestedTypes ? { }
    , descriptionClass ? null
    , ...
    }@attrs:
    attrs // { _type = "option-type"; inherit name description descriptionClass check merge nestedTypes; };

  conflict = loc: defs:
    b.throw ("The option `${showOption loc}' has conflicting definition values:"
      + lib.concatMapStrings (d: "\n- In `${d.file}': ${lib.showValue 3 d.value}") defs
      + "\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.");

  # Several definitions are fine as long as they agree.
  mergeEqual = loc: defs:
    let first = b.head defs; in
    b.foldl' (acc: d: if d.value == first.value then acc else conflict loc [ first d ]) first.value (b.tail defs);

  mergeUnique = loc: defs:
    if b.length defs == 1 then (b.head defs).value
    else b.throw ("The unique option `${showOption loc}' is defined multiple times. Definition values:"
      + lib.concatMapStrings (d: "\n- In `${d.file}': ${lib.showValue 3 d.value}") defs);

  # `unspecified`: lists concatenate, sets merge shallowly, the rest must agree.
  mergeDefault = loc: defs:
    let vs = map (d: d.value) defs; in
    if b.length defs == 1 then b.head vs
    else if lib.all b.isList vs then b.concatLists vs
    else if lib.all (v: b.isAttrs v && !lib.isDerivation v) vs then b.foldl' (x: y: x // y) { } vs
    else if lib.all b.isFunction vs then args: mergeDefault loc (map (d: d // { value = d.value args; }) defs)
    else mergeEqual loc defs;

  separatedString = sep: mkOptionType {
    name = "separatedString";
    descriptionClass = "noun";
    description =
      if sep == "" then "concatenated string"
      else "strings concatenated with ${b.toJSON sep}";
    check = b.isString;
    merge = _: defs: concatStringsSep sep (map (d: d.value) defs);
  };

  intBetween = lo: hi: mkOptionType {
    name = "intBetween";
    descriptionClass = "noun";
    description = "integer between ${b.toString lo} and ${b.toString hi} (both inclusive)";
    check = x: b.isInt x && x >= lo && x <= hi;
    merge = mergeEqual;
  };

  # NixOS's optionDescriptionPhrase: a nested type's description is put in
  # parentheses unless its descriptionClass reads well unbracketed there
  # ("list of string", "list of (null or string)").
  phrase = unparenthesize: t:
    if unparenthesize (t.descriptionClass or null) then t.description else "(${t.description})";
  noun = c: c == "noun";
  nounOrComposite = c: c == "noun" || c == "composite";
  nounOrConjunction = c: c == "noun" || c == "conjunction";
  notClause = c: c == "noun" || c == "conjunction" || c == "composite";

  isStorePathString = x: b.isString x && lib.hasPrefix b.storeDir x;

  types = rec {
    inherit mkOptionType;
    isType = name: t: (t._type or null) == "option-type" && t.name == name;

    raw = mkOptionType { name = "raw"; description = "raw value"; descriptionClass = "noun"; merge = mergeUnique; };
    unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; descriptionClass = "noun"; };
    anything = mkOptionType {
      name = "anything";
      description = "anything";
      descriptionClass = "noun";
      merge = loc: defs:
        let vs = map (d: d.value) defs; in
        if b.length defs == 1 then b.head vs
        else if lib.all b.isList vs then b.concatLists vs
        else if lib.all (v: b.isAttrs v && !lib.isDerivation v && !(v ? _type)) vs then
          (attrsOf anything).merge loc defs
        else mergeEqual loc defs;
    };

    bool = mkOptionType { name = "bool"; description = "boolean"; descriptionClass = "noun"; check = b.isBool; merge = mergeEqual; };
    int = mkOptionType { name = "int"; description = "signed integer"; descriptionClass = "noun"; check = b.isInt; merge = mergeEqual; };
    ints = {
      between = intBetween;
      unsigned = mkOptionType { name = "unsignedInt"; descriptionClass = "noun"; description = "unsigned integer, meaning >=0"; check = x: b.isInt x && x >= 0; merge = mergeEqual; };
      positive = mkOptionType { name = "positiveInt"; descriptionClass = "noun"; description = "positive integer, meaning >0"; check = x: b.isInt x && x > 0; merge = mergeEqual; };
      u8 = intBetween 0 255;
      u16 = intBetween 0 65535;
      u32 = intBetween 0 4294967295;
      s32 = intBetween (-2147483648) 2147483647;
    };
    port = intBetween 0 65535 // { description = "16 bit unsigned integer; between 0 and 65535 (both inclusive)"; };
    float = mkOptionType { name = "float"; description = "floating point number"; descriptionClass = "noun"; check = b.isFloat; merge = mergeEqual; };
    number = either int float;

    str = mkOptionType { name = "str"; description = "string"; descriptionClass = "noun"; check = b.isString; merge = mergeEqual; };
    nonEmptyStr = str // { name = "nonEmptyStr"; description = "non-empty string"; check = x: b.isString x && b.match "[ \t\n]*" x == null; };
    singleLineStr = str // { name = "singleLineStr"; description = "(optionally newline-terminated) single-line string"; check = x: b.isString x && b.match "[^\n]*\n?" x != null; };
    strMatching = pattern: str // {
      name = "strMatching ${b.toJSON pattern}";
      description = "string matching the pattern ${pattern}";
      check = x: b.isString x && b.match pattern x != null;
    };
    passwdEntry = t: t // { check = x: t.check x && b.match ".*[:\n].*" (toString x) == null; };
    # As NixOS: the same type (name, description, merge) with one more check.
    addCheck = t: extra: t // { check = x: t.check x && extra x; };
    inherit separatedString;
    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";
    path = mkOptionType {
      name = "path";
      description = "path";
      descriptionClass = "noun";
      check = x: b.isPath x || lib.isDerivation x || (b.isString x && lib.hasPrefix "/" x);
      merge = mergeEqual;
    };
    package = mkOptionType {
      name = "package";
      description = "package";
      descriptionClass = "noun";
      check = x: lib.isDerivation x || isStorePathString x;
      merge = mergeEqual;
    };
    shellPackage = package // { check = x: lib.isDerivation x && x ? shellPath; description = "shell package"; };
    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      descriptionClass = "noun";
      check = b.isAttrs;
      merge = _: defs: b.foldl' (x: d: x // d.value) { } defs;
    };
    enum = values: mkOptionType {
      name = "enum";
      descriptionClass = if b.length values < 2 then "noun" else "conjunction";
      description =
        if values == [ ] then "impossible (empty enum)"
        else if b.length values == 1 then "value ${b.toJSON (b.head values)} (singular enum)"
        else "one of " + concatStringsSep ", " (map b.toJSON values);
      check = x: b.elem x values;
      merge = mergeEqual;
      functor.payload = values;
    };

    listOf = elemType: mkOptionType {
      name = "listOf";
      description = "list of ${phrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = b.isList;
      # Each element is checked on its own, so errors name the entry.
      merge = loc: defs:
        map (r: r.mergedValue) (b.filter (r: r.isDefined) (b.concatLists (imap1
          (n: d: imap1
            (m: v: mergeDefinitions (loc ++ [ "[definition ${b.toString n}-entry ${b.toString m}]" ]) elemType
              [{ inherit (d) file; value = v; }])
            d.value)
          defs)));
      nestedTypes.elemType = elemType;
    };
    nonEmptyListOf = elemType: listOf elemType // {
      description = "non-empty list of ${phrase nounOrComposite elemType}";
      check = x: b.isList x && x != [ ];
    };

    attrsOf = elemType: attrsWith true elemType;
    lazyAttrsOf = elemType: attrsWith false elemType;

    # strict: names whose definitions are all `mkIf false` disappear (which
    # evaluates the conditions); lazy: names are known without that.
    attrsWith = strict: elemType: mkOptionType {
      name = if strict then "attrsOf" else "lazyAttrsOf";
      description = "${if strict then "" else "lazy "}attribute set of ${phrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = x: b.isAttrs x && !lib.isDerivation x;
      merge = loc: defs:
        let
          pushed = concatMap (d: map (v: { inherit (d) file; value = v; }) (pushAttrs d.value)) defs;
          grouped = b.zipAttrsWith (_: ds: ds)
            (map (d: b.mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) pushed);
          merged = b.mapAttrs (n: ds: mergeDefinitions (loc ++ [ n ]) elemType ds) grouped;
        in
        if strict then b.mapAttrs (_: r: r.mergedValue) (lib.filterAttrs (_: r: r.isDefined) merged)
        else b.mapAttrs (_: r: r.mergedValue) merged;
      nestedTypes.elemType = elemType;
    };

    nullOr = elemType: mkOptionType {
      name = "nullOr";
      description = "null or ${phrase nounOrConjunction elemType}";
      descriptionClass = "conjunction";
      check = x: x == null || elemType.check x;
      merge = loc: defs:
        let nulls = b.filter (d: d.value == null) defs; in
        if b.length nulls == b.length defs then null
        else if nulls == [ ] then elemType.merge loc defs
        else conflict loc [ (b.head nulls) (b.head (b.filter (d: d.value != null) defs)) ];
      nestedTypes.elemType = elemType;
    };

    either = t1: t2: mkOptionType {
      name = "either";
      description = "${phrase nounOrConjunction t1} or ${phrase notClause t2}";
      descriptionClass = "conjunction";
      check = x: t1.check x || t2.check x;
      merge = loc: defs:
        if lib.all (d: t1.check d.value) defs then t1.merge loc defs
        else if lib.all (d: t2.check d.value) defs then t2.merge loc defs
        else mergeEqual loc defs;
      nestedTypes = { left = t1; right = t2; };
    };
    oneOf = ts: b.foldl' either (b.head ts) (b.tail ts);

    uniq = t: t // { merge = mergeUnique; };
    unique = { message }: t: t // { merge = mergeUnique; };
    coercedTo = from: f: to: mkOptionType {
      name = "coercedTo";
      description = "${phrase noun to} or ${phrase noun from} convertible to it";
      check = x: to.check x || from.check x;
      merge = loc: defs:
        to.merge loc (map (d: if from.check d.value && !(to.check d.value) then d // { value = f d.value; } else d) defs);
    };
    functionTo = t: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${phrase nounOrComposite t}";
      descriptionClass = "composite";
      check = b.isFunction;
      merge = loc: defs: args: (mergeDefinitions (loc ++ [ "<function body>" ]) t
        (map (d: d // { value = d.value args; }) defs)).mergedValue;
    };

    submodule = modules: submoduleWith { modules = lib.toList modules; shorthandOnlyDefinesConfig = true; };
    submoduleWith = { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, description ? null, class ? null }:
      let
        # NixOS names a free-form submodule "open submodule of <its free-form type>";
        # here only modules written as attribute sets are looked at.
        freeform = lib.findFirst (m: b.isAttrs m && m ? freeformType) null modules;
      in
      mkOptionType {
        name = "submodule";
        description =
          if description != null then description
          else if freeform != null then "open submodule of ${phrase nounOrComposite freeform.freeformType}"
          else "submodule";
        descriptionClass = "noun";
        check = x: b.isAttrs x || b.isFunction x || b.isPath x;
        # Every definition is a module of the sub-evaluation; `name` is the
        # attribute name when the submodule sits in an attrsOf.
        # `_module` stays inside: the value is plain data (e.g. for toJSON).
        merge = loc: defs: b.removeAttrs
          (lib.evalModules {
            modules = modules ++ map (d: { _file = d.file; imports = [ d.value ]; }) defs;
            specialArgs = { name = lib.last loc; } // specialArgs;
            prefix = loc;
          }).config [ "_module" ];
        inherit modules specialArgs;
      };
    # A module kept as a value, to be imported into another evaluation later.
    deferredModule = mkOptionType {
      name = "deferredModule";
      description = "module";
      check = x: b.isAttrs x || b.isFunction x || b.isPath x;
      merge = _: defs: { imports = map (d: { _file = d.file; imports = [ d.value ]; }) defs; };
    };
    optionType = raw;
  };

  # Same push-down as in modules.nix, for values inside attrsOf.
  pushAttrs = v:
    let t = v._type or null; in
    if t == "merge" then concatMap pushAttrs v.contents
    else if t == "if" then map (b.mapAttrs (_: lib.mkIf v.condition)) (pushAttrs v.content)
    else if t == "override" then map (b.mapAttrs (_: lib.mkOverride v.priority)) (pushAttrs v.content)
    else [ v ];
in
types
