import type { CreateDependencies } from '@nx/devkit';

/** Edges from Nix path imports; filled in by the shared-modules issue. */
export const createDependencies: CreateDependencies = () => [];
