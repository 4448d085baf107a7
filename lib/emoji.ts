/**
 * The body of a regular-expression character class (for the `u` flag) that
 * matches the characters emoji are made of: pictographs, skin tones, the
 * zero-width joiner and the emoji presentation selector ("👋🏽", "❤️").
 */
export const EMOJI_CHARACTERS = String.raw`\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u200d\ufe0f`
