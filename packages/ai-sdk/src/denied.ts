/** A denial as a sentence a model can read and act on (the wording lives in core, shared by every adapter). */
export { deniedToolMessage as deniedMessage } from '@governor/core';
