export interface ImageGeneratorSchema {
  directory: string;
  name?: string;
}
