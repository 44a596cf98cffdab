import { bodyLimit } from "hono/body-limit";
import { AppError } from "./errors";

/** No request of this API needs more; larger bodies are refused before they are read. */
export const MAX_BODY_BYTES = 64 * 1024;

/** `413 payload_too_large` for a body over MAX_BODY_BYTES, declared or streamed. */
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError("payload_too_large", { detail: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.` });
    },
  });
