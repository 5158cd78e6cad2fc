-- Merged conversations: the old id names the survivor, so a later paste of the old URL is the same link.
CREATE TABLE "ConversationAlias" (
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "aliasId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConversationAlias_pkey" PRIMARY KEY ("provider","account","aliasId")
);

-- CreateIndex
CREATE INDEX "ConversationAlias_provider_account_conversationId_idx" ON "ConversationAlias"("provider", "account", "conversationId");
