/**
 * The source article's files, verbatim (Russian comments and all): the
 * reference that the offline stand-ins build and that the image generator's
 * output must equal expression for expression. Variant 3's configuration.nix is
 * variant 1's plus `./home.nix`; variant 4's home.nix is variant 3's with the
 * new header ("the rest unchanged").
 */

const CONFIGURATION = `{
  pkgs,
  modulesPath,
  ...
}:
{
  imports = [
    # Тут определены различные параметры которые нужны для 
    # создания загрузочного образа NixOS
    "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
  ];

  # Изменяем архитектуру если ожидается другая
  nixpkgs.hostPlatform = "x86_64-linux";
  # Подставляем версию на основе которой будут браться 
  # значения по умолчанию для различных параметров.
  system.stateVersion = "24.05"; 

  # Ниже можно определить любые другие параметры как в обычном configuration.nix
  environment.systemPackages = with pkgs; [
    git
    neovim
  ];
}
`;

// Variant 3: variant 1 plus ./home.nix in the imports ("the other options as before").
const CONFIGURATION_HM = CONFIGURATION.replace(
  '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"\n',
  '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"\n' +
    '    # Добавляем файл с конфигурацией для home-manager\n' +
    '    ./home.nix\n',
);

const FLAKE = `{
  inputs = {
    # Версию можно поменять при необходимости
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  };

  outputs = { nixpkgs, ... }: {
    # Вместо liveImage также можно подставить любое другое удобное название
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      modules = [
        ./configuration.nix
      ];
    };
  };
}
`;

const HOME_BODY = `  home-manager = let
    # по умолчанию в installation-cd-minimal.nix определён один пользователь 
    # с именем "nixos", изменение данной переменной потребует также 
    # создание соответствующего пользователя в configuration.nix
    username = "nixos";
  in {
    # Про useGlobalPkgs и useUserPackages описано дальше по тексту
    useGlobalPkgs = true;
    useUserPackages = true;
    users.\${username} = { pkgs, osConfig, ... }: {
      # Системную конфигурацию можно получить как аргумент osConfig и брать 
      # из неё свойства при необходимости
      home.stateVersion = osConfig.system.stateVersion;
      home.username = username;
      home.homeDirectory = "/home/\${username}";

      # Остальные параметры аналогичны обычному конфигу home-manager
      home.packages = with pkgs; [
        jq
        fzf
        curl
        # ...
      ];
    };
  };
}
`;

const HOME_CHANNEL = `{ pkgs, ... }:
{
  imports = [
    <home-manager/nixos>
  ];
${HOME_BODY}`;

// Variant 4: the new header and import, the rest unchanged.
const HOME_FLAKE = `{ 
  pkgs, 
  home-manager, # получаем как параметр
  ... 
}:
{
  imports = [
    # изменили модуль
    home-manager.nixosModules.home-manager   
  ];

${HOME_BODY}`;

const FLAKE_HM = `{
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

    # Добавляется сам home-manager в inputs, версия при этом 
    # должна быть равна nixpkgs
    home-manager = {
      url = "github:nix-community/home-manager/release-24.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = {
    nixpkgs,
    home-manager,
    ...
  }: let
  in {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      # таким образом можно прокинуть home-manager в качестве 
      # параметра во все модули
      specialArgs = { inherit home-manager; };
      modules = [
        # но при желании можно импортировать его прямо тут
        # home-manager.nixosModules.home-manager
        ./configuration.nix
      ];
    };
  };
}
`;


export const ARTICLE = {
  configuration: CONFIGURATION,
  configurationHomeManager: CONFIGURATION_HM,
  flake: FLAKE,
  flakeHomeManager: FLAKE_HM,
  homeChannel: HOME_CHANNEL,
  homeFlake: HOME_FLAKE,
} as const;

/** The article's four variants: which files each has. */
export const ARTICLE_LAYOUTS: { name: string; flake: boolean; homeManager: boolean; files: Record<string, string> }[] = [
  { name: '1 channel', flake: false, homeManager: false, files: { 'configuration.nix': CONFIGURATION } },
  { name: '2 flake', flake: true, homeManager: false, files: { 'configuration.nix': CONFIGURATION, 'flake.nix': FLAKE } },
  { name: '3 channel + home-manager', flake: false, homeManager: true, files: { 'configuration.nix': CONFIGURATION_HM, 'home.nix': HOME_CHANNEL } },
  {
    name: '4 flake + home-manager',
    flake: true,
    homeManager: true,
    files: { 'configuration.nix': CONFIGURATION_HM, 'home.nix': HOME_FLAKE, 'flake.nix': FLAKE_HM },
  },
];
