# The fixture's `lib`: the helpers that NixOS-style modules, our templates and
# the article's files use, plus a small strict module system (modules.nix) and
# option types (types.nix). Written from scratch for tests; it mirrors the
# behaviour and error messages of nixpkgs' lib where tests depend on them, not
# its implementation.
let
  b = builtins;

  lib = general // import ./modules.nix lib // {
    types = import ./types.nix lib;
    # Grouped views some code uses (`lib.strings.hasPrefix`, `lib.lists.flatten`).
    strings = general;
    lists = general;
    attrsets = general;
    trivial = general // {
      inherit release version oldestSupportedRelease;
      isInOldestRelease = r: r <= oldestSupportedRelease;
      oldestSupportedReleaseIsAtLeast = r: r <= oldestSupportedRelease;
    };
    inherit (lib.trivial) isInOldestRelease oldestSupportedReleaseIsAtLeast oldestSupportedRelease;
    options = general // { inherit (lib) mkOption mkEnableOption mkPackageOption showOption; };
    modules = general // { inherit (lib) evalModules mkIf mkMerge mkOverride mkDefault mkForce; };
  };

  release = b.replaceStrings [ "\n" ] [ "" ] (b.readFile ../.version);
  versionSuffix =
    if b.pathExists ../.version-suffix then b.readFile ../.version-suffix else "pre-git";
  version = release + versionSuffix;
  # As on each release branch of nixpkgs: the release before this one
  # (24.05 → 2311, 24.11 → 2405), which decides when mkRenamedOptionModuleWith warns.
  oldestSupportedRelease =
    let
      yy = b.fromJSON (b.substring 0 2 release);
      mm = b.substring 3 2 release;
    in
    if mm == "11" then yy * 100 + 5 else (yy - 1) * 100 + 11;

  general = {
    inherit (b)
      add all any attrNames attrValues concatLists concatStringsSep elem elemAt filter
      foldl' fromJSON functionArgs genList getAttr hasAttr head isAttrs isBool isFloat
      isFunction isInt isList isPath isString length listToAttrs map mapAttrs match
      pathExists readFile removeAttrs replaceStrings seq split stringLength sub substring
      tail toJSON toString trace tryEval typeOf zipAttrsWith intersectAttrs catAttrs
      deepSeq throw abort baseNameOf dirOf;

    inherit release version versionSuffix;
    isDerivation = x: b.isAttrs x && (x.type or null) == "derivation";

    # -- functions
    id = x: x;
    const = x: _: x;
    flip = f: a: c: f c a;
    pipe = b.foldl' (x: f: f x);
    fix = f: let x = f x; in x;
    extends = overlay: f: self: let super = f self; in super // overlay self super;
    warn = msg: b.trace "warning: ${msg}";
    warnIf = cond: msg: if cond then general.warn msg else x: x;
    throwIf = cond: msg: if cond then b.throw msg else x: x;
    throwIfNot = cond: msg: if cond then x: x else b.throw msg;
    boolToString = x: if x then "true" else "false";
    mapNullable = f: x: if x == null then null else f x;
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = x: y: x - y * (x / y);
    versionOlder = v1: v2: b.compareVersions v2 v1 == 1;
    versionAtLeast = v1: v2: !(general.versionOlder v1 v2);
    importJSON = path: b.fromJSON (b.readFile path);

    # Just the platform facts NixOS modules and our images look at.
    systems = {
      flakeExposed = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      elaborate = s:
        let
          system = if b.isString s then s else s.system;
          cpu = b.head (general.splitString "-" system);
          kernel = b.elemAt (general.splitString "-" system) 1;
        in
        (if b.isAttrs s then s else { }) // {
          inherit system;
          config = "${cpu}-unknown-${kernel}-gnu";
          isLinux = kernel == "linux";
          isDarwin = kernel == "darwin";
          isx86_64 = cpu == "x86_64";
          isx86 = b.elem cpu [ "x86_64" "i686" ];
          isAarch64 = cpu == "aarch64";
          isAarch = b.elem cpu [ "aarch64" "armv7l" "armv6l" ];
          isRiscV = general.hasPrefix "riscv" cpu;
          is64bit = b.elem cpu [ "x86_64" "aarch64" "riscv64" "powerpc64le" ];
          efiArch = { x86_64 = "x64"; aarch64 = "aa64"; i686 = "ia32"; riscv64 = "riscv64"; }.${cpu} or cpu;
          linuxArch = { x86_64 = "x86_64"; aarch64 = "arm64"; i686 = "i386"; riscv64 = "riscv"; }.${cpu} or cpu;
          uname = { system = if kernel == "linux" then "Linux" else "Darwin"; processor = cpu; };
          parsed = { cpu.name = cpu; kernel.name = kernel; };
        };
    };

    # -- lists
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    toList = x: if b.isList x then x else [ x ];
    concatMap = f: xs: b.concatLists (b.map f xs);
    flatten = x: if b.isList x then b.concatMap general.flatten x else [ x ];
    foldr = op: nul: xs: b.foldl' (acc: x: op x acc) nul (general.reverseList xs);
    foldl = b.foldl';
    reverseList = xs: let n = b.length xs; in b.genList (i: b.elemAt xs (n - i - 1)) n;
    imap0 = f: xs: b.genList (i: f i (b.elemAt xs i)) (b.length xs);
    imap1 = f: xs: b.genList (i: f (i + 1) (b.elemAt xs i)) (b.length xs);
    range = first: last: if first > last then [ ] else b.genList (n: first + n) (last - first + 1);
    last = xs: b.elemAt xs (b.length xs - 1);
    init = xs: b.genList (b.elemAt xs) (b.length xs - 1);
    take = n: xs: b.genList (b.elemAt xs) (general.min n (b.length xs));
    drop = n: xs: let l = b.length xs; in if n >= l then [ ] else b.genList (i: b.elemAt xs (i + n)) (l - n);
    unique = b.foldl' (acc: x: if b.elem x acc then acc else acc ++ [ x ]) [ ];
    remove = x: b.filter (y: y != x);
    subtractLists = e: b.filter (x: !(b.elem x e));
    count = pred: xs: b.length (b.filter pred xs);
    findFirst = pred: default: xs: let r = b.filter pred xs; in if r == [ ] then default else b.head r;
    partition = b.partition;
    groupBy = b.groupBy;
    sort = b.sort;
    naturalSort = b.sort b.lessThan;
    zipListsWith = f: xs: ys:
      b.genList (i: f (b.elemAt xs i) (b.elemAt ys i)) (general.min (b.length xs) (b.length ys));
    forEach = xs: f: b.map f xs;
    singleton = x: [ x ];
    ifEnable = cond: v: if cond then v else if b.isList v then [ ] else "";

    # -- attribute sets
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: b.listToAttrs (b.map (n: f n set.${n}) (b.attrNames set));
    mapAttrsToList = f: set: b.map (n: f n set.${n}) (b.attrNames set);
    attrsToList = set: general.mapAttrsToList general.nameValuePair set;
    filterAttrs = pred: set:
      b.listToAttrs (b.concatMap (n: if pred n set.${n} then [ (general.nameValuePair n set.${n}) ] else [ ]) (b.attrNames set));
    genAttrs = names: f: b.listToAttrs (b.map (n: general.nameValuePair n (f n)) names);
    optionalAttrs = cond: set: if cond then set else { };
    recursiveUpdate = lhs: rhs:
      lhs // b.mapAttrs
        (n: v: if b.isAttrs v && b.isAttrs (lhs.${n} or null) && !general.isDerivation v
          then general.recursiveUpdate lhs.${n} v else v)
        rhs;
    foldAttrs = op: nul: list:
      b.foldl' (acc: set: acc // b.mapAttrs (n: v: op v (acc.${n} or nul)) set) { } (general.reverseList list);
    zipAttrs = b.zipAttrsWith (_: vs: vs);
    attrByPath = path: default: set:
      if path == [ ] then set
      else if b.isAttrs set && set ? ${b.head path} then general.attrByPath (b.tail path) default set.${b.head path}
      else default;
    hasAttrByPath = path: set:
      path == [ ] || (b.isAttrs set && set ? ${b.head path} && general.hasAttrByPath (b.tail path) set.${b.head path});
    getAttrFromPath = path: set:
      b.foldl' (s: n: s.${n} or (b.throw "cannot find attribute `${b.concatStringsSep "." path}'")) set path;
    setAttrByPath = path: value:
      if path == [ ] then value else { ${b.head path} = general.setAttrByPath (b.tail path) value; };
    collect = pred: v:
      if pred v then [ v ] else if b.isAttrs v then b.concatMap (general.collect pred) (b.attrValues v) else [ ];
    getName = x: (b.parseDrvName (if b.isString x then x else x.name)).name;
    getVersion = x: (b.parseDrvName (if b.isString x then x else x.name)).version;
    getBin = x: x;
    getLib = x: x;
    getDev = x: x;
    getOutput = _: x: x;
    getExe = x: "${x}/bin/${x.meta.mainProgram or (general.getName x)}";
    getExe' = x: y: "${x}/bin/${y}";
    makeBinPath = ps: b.concatStringsSep ":" (b.map (p: "${p}/bin") ps);
    makeSearchPath = sub: ps: b.concatStringsSep ":" (b.map (p: "${p}/${sub}") ps);

    # -- strings
    concatStrings = b.concatStringsSep "";
    concatMapStrings = f: xs: b.concatStringsSep "" (b.map f xs);
    concatMapStringsSep = sep: f: xs: b.concatStringsSep sep (b.map f xs);
    concatLines = xs: b.concatStringsSep "" (b.map (x: x + "\n") xs);
    optionalString = cond: s: if cond then s else "";
    hasPrefix = p: s: b.substring 0 (b.stringLength p) s == p;
    hasSuffix = p: s:
      let ls = b.stringLength s; lp = b.stringLength p;
      in lp <= ls && b.substring (ls - lp) lp s == p;
    hasInfix = infix: s: b.match ".*${general.escapeRegex infix}.*" s != null;
    removePrefix = p: s: if general.hasPrefix p s then b.substring (b.stringLength p) (-1) s else s;
    removeSuffix = p: s:
      if general.hasSuffix p s then b.substring 0 (b.stringLength s - b.stringLength p) s else s;
    splitString = sep: s: b.filter b.isString (b.split (general.escapeRegex sep) s);
    escapeRegex = b.replaceStrings
      [ "\\" "." "*" "+" "?" "(" ")" "[" "]" "{" "}" "|" "^" "$" ]
      [ "\\\\" "\\." "\\*" "\\+" "\\?" "\\(" "\\)" "\\[" "\\]" "\\{" "\\}" "\\|" "\\^" "\\$" ];
    toUpper = b.replaceStrings general.lowerChars general.upperChars;
    toLower = b.replaceStrings general.upperChars general.lowerChars;
    lowerChars = general.stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = general.stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    stringToCharacters = s: b.genList (i: b.substring i 1 s) (b.stringLength s);
    escapeShellArg = s: "'${b.replaceStrings [ "'" ] [ "'\\''" ] (b.toString s)}'";
    escapeShellArgs = xs: b.concatStringsSep " " (b.map general.escapeShellArg xs);
    fileContents = file: general.removeSuffix "\n" (b.readFile file);
    trim = s: let m = b.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in if m == null then "" else b.head m;
    toInt = s: let v = b.fromJSON s; in if b.isInt v then v else b.throw "toInt: `${s}' is not an integer";
  };
in
lib
