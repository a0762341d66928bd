// zod's mini build carries no message texts of its own ("Invalid input"); the English locale gives
// the errors we show users ("expected string, received number"). Only that one locale is imported:
// `z.locales` would bring all of them (400 KB) onto the supervised launch path. Configured once, by
// whichever schema module loads first.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

let done = false;

export function useZodMessages(): void {
  if (done) return;
  done = true;
  z.config(en());
}
