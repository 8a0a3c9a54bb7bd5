# On a real ISO this copies the nixpkgs channel into the image; the fixture
# has nothing to copy, so importing it only records the wish.
{ ... }:
{ system.build.channelIncluded = true; }
