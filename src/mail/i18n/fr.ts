import type { MailCatalogue } from "./en";

/** Every word of printid's e-mail messages, in French. A no-break space (\u00a0) before ":" (French typography). */
export const fr: MailCatalogue = {
  verifyEmail: {
    subject: (tenantName) => `Confirmez votre adresse e-mail pour ${tenantName}`,
    lead: (tenantName) => `Confirmez que cette adresse est bien la vôtre pour terminer la création de votre compte ${tenantName}.`,
    action: "Confirmer mon adresse e-mail",
    expiry: "Le lien et le code ne servent qu'une fois, dans les 48\u00a0heures.",
    notAsked: "Si vous n'avez pas créé ce compte, ignorez ce message\u00a0: le compte sera supprimé.",
  },
  resetPassword: {
    subject: (tenantName) => `Réinitialisez votre mot de passe ${tenantName}`,
    lead: (tenantName) =>
      `Une réinitialisation du mot de passe de votre compte ${tenantName} a été demandée. Choisissez un nouveau mot de passe avec ce lien.`,
    action: "Choisir un nouveau mot de passe",
    expiry: "Le lien ne sert qu'une fois, dans les 30\u00a0minutes. Tous les appareils connectés à votre compte seront déconnectés.",
    notAsked: "Si vous n'avez rien demandé, ignorez ce message\u00a0: votre mot de passe reste inchangé.",
  },
  invitation: {
    subject: (tenantName) => `Vous êtes invité(e) sur ${tenantName}`,
    lead: (tenantName) => `Un administrateur de ${tenantName} vous a créé un compte. Choisissez votre mot de passe pour commencer à l'utiliser.`,
    action: "Accepter l'invitation",
    expiry: "Le lien ne sert qu'une fois, dans les 7\u00a0jours.",
    notAsked: "Si vous ne vous y attendiez pas, ignorez ce message.",
  },
  pin: {
    subject: (tenantName) => `Votre nouveau code PIN pour les imprimantes de ${tenantName}`,
    lead: (tenantName) => `Un administrateur de ${tenantName} vous a attribué un nouveau code PIN pour vous connecter à ses imprimantes\u00a0:`,
    keep: "Gardez-le pour vous\u00a0: il vous connecte. Votre ancien code PIN ne fonctionne plus, et vous pouvez en obtenir un nouveau dans l'application à tout moment.",
  },
  signInCode: {
    subject: (tenantName) => `Votre code de connexion ${tenantName}`,
    lead: (tenantName) => `Une connexion à votre compte ${tenantName} demande ce code. Saisissez-le là où la connexion l'attend\u00a0:`,
    keep: "Il ne sert qu'une fois, dans les 10\u00a0minutes. Si vous n'êtes pas en train de vous connecter, quelqu'un connaît votre mot de passe\u00a0: changez-le.",
  },
  code: (code) => `Ou saisissez ce code\u00a0: ${code}`,
  linkFallback: "Si le bouton ne fonctionne pas, ouvrez cette adresse\u00a0:",
};
