import { run } from "probot";

// P1's baseline: a bare Probot app with an empty handler, started the same way as closeloop.
await run((app) => {
  app.on("issue_comment.created", async () => {});
});
