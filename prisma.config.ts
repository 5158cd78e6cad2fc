// Prisma 7 reads its CLI settings from here. closeloop applies its own committed migrations at start
// (src/store/migrations.ts), so the CLI is used only to generate the clients.
export default {};
