/**
 * The time a parser may take on a hostile input of about 1 MB. It only has to tell linear from quadratic: a linear
 * pass takes well under a second, a quadratic one minutes. It is generous because tests share the machine (two cores
 * running both engines' suites, or other work): speed itself is measured by `npm run bench`, not here.
 */
export const LINEAR_BOUND_MS = 15_000;
