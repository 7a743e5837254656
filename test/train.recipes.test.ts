// Recipes are plain data: importable anywhere (no argv parsing, no mutation), one per variant.
import { describe, expect, it } from 'vitest';

describe('recipes', () => {
  it('import without side effects, are frozen, and give today\'s tuned settings', async () => {
    const argv = process.argv;
    process.argv = [argv[0], 'x', '--not-an-option', 'oops'];
    try {
      const { RECIPES, RECIPES_V2, RECIPES_BY_NAME, recipeTrainOptions, recipeModelOptions, ARCH } = await import('../tools/train/recipes.js');
      expect(Object.keys(RECIPES)).toEqual(['float', 'xnor', 'dabn']);
      expect(Object.values(RECIPES).map((r) => r.name)).toEqual(['float-v4', 'xnor-v2', 'dabn-v2']);
      for (const [variant, r] of [...Object.entries(RECIPES), ...Object.entries(RECIPES_V2)]) {
        expect(r.variant).toBe(variant);
        expect(Object.isFrozen(r) && Object.isFrozen(r.augmentation)).toBe(true);
        expect(() => { (r as { learningRate: number }).learningRate = 1; }).toThrow(TypeError);
      }
      // v2: the X-Net and HBN experiments' recipes, and still the binary variants' defaults.
      for (const [variant, r] of Object.entries(RECIPES_V2)) {
        expect(r.name).toBe(`${variant}-v2`);
        expect(r.dropout).toBe(0);
        expect(recipeTrainOptions(r)).toEqual({ optimizer: 'adam', epochs: 24, batchSize: 128, learningRate: variant === 'float' ? 8e-3 : 2e-2, schedule: 'cosine', weightDecay: 0, labelSmoothing: 0, mixup: 0, augmentation: { rotateDeg: 10, scale: 0.1, shear: 0.15, shiftPx: 2, dilate: 0, flip: 0 } });
      }
      // v1 (the binarization_v1 results) stays importable by name, without augmentation.
      expect(RECIPES_BY_NAME.get('dabn-v1')?.augmentation).toEqual({ rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 });
      expect(RECIPES_BY_NAME.get('float-v1')?.epochs).toBe(8);
      // float-v4, float's default: v2 with 48 epochs, label smoothing 0.1 (= float-v3) and decoupled weight decay 0.05.
      expect(recipeTrainOptions(RECIPES_BY_NAME.get('float-v3')!)).toEqual({ ...recipeTrainOptions(RECIPES_V2.float), epochs: 48, labelSmoothing: 0.1 });
      expect(recipeTrainOptions(RECIPES.float)).toEqual({ ...recipeTrainOptions(RECIPES_V2.float), epochs: 48, labelSmoothing: 0.1, weightDecay: 0.05 });
      expect(RECIPES_BY_NAME.get('float-v4')).toBe(RECIPES.float);
      expect(RECIPES.xnor.weightGrad).toBe('exact');
      expect(RECIPES.dabn.weightGrad).toBe('authors');
      expect(recipeModelOptions(RECIPES.dabn)).toEqual({ weightGrad: 'authors', blockOrder: ARCH.blockOrder, convRelu: ARCH.convRelu, dropout: 0 });
      // --recipes: the defaults with each named recipe in its variant's place; an unknown name is an error.
      const { recipesNamed } = await import('../tools/train/recipes.js');
      expect(recipesNamed([])).toEqual(RECIPES);
      expect(recipesNamed(['float-v2', 'dabn-v1'])).toEqual({ float: RECIPES_V2.float, xnor: RECIPES.xnor, dabn: RECIPES_BY_NAME.get('dabn-v1') });
      expect(() => recipesNamed(['float-v9'])).toThrow(/no recipe 'float-v9'; the recipes are float-v1, /);
      // The committed example models (tools/examples/make.mjs) train with DABN's default recipe for its epochs.
      const { EXAMPLES } = await import('../tools/examples/make.mjs');
      for (const e of Object.values(EXAMPLES)) {
        expect(e.binarize).toBe('dabn');
        expect([e.recipe, e.epochs]).toEqual([RECIPES.dabn.name, RECIPES.dabn.epochs]);
      }
    } finally {
      process.argv = argv;
    }
  });
});
