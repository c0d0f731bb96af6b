import { Type } from '@sinclair/typebox';
import { AppSchema } from './apps.js';
import { AppNameParam } from './common.js';

/** App setups (Heroku's): an app made from an app.json in one step; and per-app labs features. */

export const AppSetupCreateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100, description: 'Omit for a generated name' })),
    // platd refuses more than 64 KB itself, with a clearer message than the schema's.
    manifest: Type.String({ maxLength: 128 * 1024, description: "app.json's text" }),
    env: Type.Optional(
      Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 32_768 }), {
        description: "Config var values, over app.json's defaults (its required vars)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const AppSetupSchema = Type.Object({
  app: AppSchema,
  /** app.json fields Plat does not use, by their path. */
  warnings: Type.Array(Type.String()),
  /** What the app's first push will run once, after its first release. */
  postdeploy: Type.Union([Type.String(), Type.Null()]),
});

export const FeatureSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  enabled: Type.Boolean(),
});
export const FeatureParamsSchema = Type.Object({ app: AppNameParam, feature: Type.String({ maxLength: 60 }) });
export const FeatureUpdateSchema = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });
