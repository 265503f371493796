import { InvalidRequestError } from '../errors.js';

/**
 * INVALID_REQUEST: no price is known for a model, neither a caller price nor
 * an entry of the bundled `@pydantic/genai-prices` database. Governor never
 * guesses a price: an unpriced call cannot be budgeted.
 */
export class UnknownModelPriceError extends InvalidRequestError {
  readonly modelId: string;
  readonly provider: string | undefined;

  constructor(modelId: string, provider?: string) {
    const who = provider ? `model "${modelId}" of provider "${provider}"` : `model "${modelId}"`;
    const key = JSON.stringify(provider ? `${provider}:${modelId}` : modelId);
    super(
      [
        {
          path: 'model',
          message:
            `no price known for ${who} in the bundled @pydantic/genai-prices data` +
            `${provider ? '' : ' (passing its provider may help)'}; pass a price via ` +
            `createPricing({ prices: { ${key}: { inputPerMillionUsd, outputPerMillionUsd } } })`,
        },
      ],
      { modelId, provider },
    );
    this.modelId = modelId;
    this.provider = provider;
  }
}
