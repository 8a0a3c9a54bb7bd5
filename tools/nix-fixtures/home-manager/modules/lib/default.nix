# The fixture's `lib.hm`: DAG entries for home.activation (entryAfter,
# entryBefore, entryAnywhere, entryBetween), their option type and the
# topological sort that orders activation scripts. Home-manager modules get
# `lib` extended with this as `lib.hm`.
lib:
let
  b = builtins;
  inherit (lib) types;

  isEntry = e: b.isAttrs e && e ? data && e ? after && e ? before;

  dag = rec {
    entryBetween = before: after: data: { inherit data before after; };
    entryAnywhere = entryBetween [ ] [ ];
    entryAfter = entryBetween [ ];
    entryBefore = before: entryBetween before [ ];

    # Entries in an order that respects every after/before edge; names that
    # do not exist are ignored, cycles are an error (as in home-manager).
    topoSort = entries:
      let
        names = b.attrNames entries;
        preds = n: lib.unique (b.filter (m: entries ? ${m})
          (entries.${n}.after ++ b.filter (m: b.elem n entries.${m}.before) names));
        visit = path: acc: n:
          if acc.done ? ${n} then acc
          else if b.elem n path then
            throw "home-manager: dependency cycle in home.activation: ${lib.concatStringsSep " -> " (path ++ [ n ])}"
          else
            let acc' = b.foldl' (visit (path ++ [ n ])) acc (preds n); in
            { done = acc'.done // { ${n} = true; }; order = acc'.order ++ [ n ]; };
      in
      map (n: { name = n; inherit (entries.${n}) data after before; })
        (b.foldl' (visit [ ]) { done = { }; order = [ ]; } names).order;
  };

  # A value or a DAG entry; plain values become entryAnywhere.
  entryOf = elemType: types.mkOptionType {
    name = "dagEntryOf";
    description = "DAG entry of ${elemType.description}";
    check = x: isEntry x || elemType.check x;
    merge = loc: defs:
      let entries = map (d: d // { value = if isEntry d.value then d.value else dag.entryAnywhere d.value; }) defs; in
      {
        data = elemType.merge loc (map (d: d // { value = d.value.data; }) entries);
        after = lib.concatMap (d: d.value.after) entries;
        before = lib.concatMap (d: d.value.before) entries;
      };
  };
in
{
  inherit dag;
  types = {
    dagOf = elemType: types.attrsOf (entryOf elemType) // { description = "DAG of ${elemType.description}"; };
  };
}
