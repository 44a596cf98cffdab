import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../credentials/password-policy";
import type { Catalogue } from "./en";

/**
 * Every word of the hosted sign-in pages, in French (the seed app's language). French typography: a
 * no-break space (\u00a0) before ":" and "?", so they never start a line.
 */

const refusals: Catalogue["refusals"] = {
  invalid_credentials: "Le nom d'utilisateur, l'e-mail ou le mot de passe est incorrect.",
  account_locked: "Trop de tentatives échouées ont verrouillé ce compte pour un moment.",
  account_inactive: "Ce compte n'est pas actif. Demandez à votre administrateur de l'activer.",
  account_pending_activation:
    "Ce compte attend l'activation par un administrateur. Vous pourrez vous connecter dès qu'il sera actif.",
  registration_disabled: "Il n'est pas possible de créer un compte ici. Demandez-en un à votre administrateur.",
  account_exists: "Un compte existe déjà avec cette adresse e-mail ou ce nom d'utilisateur. Connectez-vous plutôt.",
  username_taken: "Ce nom d'utilisateur est déjà pris. Choisissez-en un autre, ou laissez le champ vide.",
  external_auth_unavailable_for_existing_account:
    "Un compte existe déjà avec cette adresse e-mail. Connectez-vous plutôt avec son nom d'utilisateur ou son e-mail et son mot de passe.",
  provider_error:
    "La connexion avec Apple, Google ou Microsoft n'a pas abouti. Réessayez, ou connectez-vous autrement.",
  tenant_disabled: "La connexion est désactivée ici pour le moment. Adressez-vous à votre administrateur.",
  email_unverified:
    "Confirmez d'abord votre adresse e-mail\u00a0: ouvrez le lien du message que nous vous avons envoyé, ou saisissez son code.",
  password_change_required: "Votre administrateur a défini un mot de passe temporaire\u00a0: choisissez-en un nouveau pour continuer.",
  rate_limited: "Trop de tentatives en peu de temps.",
  unavailable: "Le service est momentanément indisponible.",
  validation_failed: "Certaines informations ne sont pas valides. Voir les champs ci-dessous.",
  session_expired: "Votre page de connexion a expiré. Veuillez recommencer.",
  unusable_link: "Ce lien ne peut pas être utilisé\u00a0: il a déjà servi, il a expiré, ou un lien plus récent l'a remplacé. Demandez-en un nouveau.",
  csrf: "Ce formulaire n'a pas pu être vérifié\u00a0: il est peut-être trop ancien, ou ouvert depuis un autre site. Veuillez réessayer.",
};

const brokenLink =
  "Le lien que vous avez suivi pour arriver ici est invalide. Revenez à l'application et recommencez la connexion depuis celle-ci.";

export const fr: Catalogue = {
  unexpected: "Une erreur s'est produite.",
  refusals,
  retry: (seconds) => {
    if (seconds === undefined) return "Réessayez plus tard.";
    if (seconds < 60) return "Réessayez dans moins d'une minute.";
    const minutes = Math.ceil(seconds / 60);
    return `Réessayez dans ${minutes}\u00a0${minutes === 1 ? "minute" : "minutes"}.`;
  },
  errorTitle: (title) => `Erreur\u00a0: ${title}`,
  fieldLabel: (label) => `${label}\u00a0:`,
  continueTo: (clientName) => `pour continuer vers ${clientName}`,

  signIn: {
    title: "Connexion",
    accountKinds: "Type de compte",
    work: "COMPTE PROFESSIONNEL",
    personal: "COMPTE PERSONNEL",
    login: "Nom d'utilisateur ou e-mail",
    password: "Mot de passe",
    submit: "Se connecter",
    or: "ou",
    continueWith: (provider) => `Continuer avec ${provider}`,
    noAccount: "Pas encore de compte\u00a0?",
    register: "Créer un compte",
    forgot: "Mot de passe oublié\u00a0?",
  },
  account: {
    verify: {
      title: "Confirmez votre adresse e-mail",
      text: "Confirmez que cette adresse est la vôtre pour terminer la création de votre compte.",
      submit: "Confirmer mon adresse",
      done: "Votre adresse e-mail est confirmée. Vous pouvez maintenant vous connecter depuis votre application.",
    },
    forgot: {
      title: "Mot de passe oublié\u00a0?",
      text: "Saisissez votre nom d'utilisateur ou votre e-mail. Si le compte a une adresse confirmée, nous y envoyons un lien pour choisir un nouveau mot de passe.",
      submit: "Envoyez-moi un lien",
      sent: "Si ce compte a une adresse confirmée, un message avec un lien est en route. Le lien est valable 30\u00a0minutes.",
      back: "Revenir à la connexion",
    },
    reset: {
      title: "Choisissez un nouveau mot de passe",
      text: "Votre nouveau mot de passe ferme toutes les sessions ouvertes de votre compte.",
      password: "Nouveau mot de passe",
      submit: "Changer mon mot de passe",
      done: "Votre mot de passe est changé. Reconnectez-vous depuis votre application.",
    },
    invitation: {
      title: "Bienvenue",
      text: (tenantName) => `Vous êtes invité à rejoindre ${tenantName}. Choisissez un mot de passe pour votre compte.`,
      password: "Mot de passe",
      submit: "Définir mon mot de passe",
      done: "Votre compte est prêt. Connectez-vous depuis votre application.",
    },
  },
  register: {
    title: "Créer un compte",
    email: "E-mail",
    password: "Mot de passe",
    passwordRule: `${MIN_PASSWORD_LENGTH} à ${MAX_PASSWORD_LENGTH} caractères.`,
    firstName: "Prénom",
    lastName: "Nom (facultatif)",
    username: "Nom d'utilisateur (facultatif)",
    usernameRule: "Lettres, chiffres, «\u00a0.\u00a0», «\u00a0_\u00a0» et «\u00a0-\u00a0». Laissé vide, il est choisi pour vous.",
    submit: "Créer le compte",
    haveAccount: "Vous avez déjà un compte\u00a0?",
    signIn: "Se connecter",
  },
  pendingActivation: {
    title: "Compte créé",
    text: "Votre compte a été créé et attend l'activation par un administrateur. Vous pourrez vous connecter dès qu'il sera actif.",
    account: "Compte\u00a0:",
    signIn: "Retour à la connexion",
  },
  checkEmail: {
    title: "Confirmez votre adresse e-mail",
    text: "Votre compte a été créé. Nous vous avons envoyé un message\u00a0: suivez son lien, ou saisissez son code, pour confirmer votre adresse. Connectez-vous ensuite.",
    account: "Envoyé à\u00a0:",
    signIn: "Retour à la connexion",
  },
  continueAs: {
    title: "Choisir un compte",
    continueAs: (displayName) => `Continuer en tant que ${displayName}`,
    other: "Utiliser un autre compte",
  },
  signedOut: {
    title: "Déconnexion effectuée",
    text: (tenantName) => `Votre session ${tenantName} est fermée sur cet appareil.`,
    back: "Revenir à l'application",
  },
  logoutConfirm: {
    question: (tenantName) => `Se déconnecter de ${tenantName}\u00a0?`,
    asks: (clientName) => `${clientName} demande votre déconnexion.`,
    text: "Si vous n'avez rien demandé, vous pouvez simplement fermer cette page.",
    submit: "Se déconnecter",
  },
  device: {
    title: "Connecter un appareil",
    signInFirst: "Connectez-vous d'abord à ce service dans ce navigateur, ou scannez le code de l'appareil avec l'application connectée.",
    codeLabel: "Code affiché sur l'appareil",
    codeHint: "8 lettres, par exemple BCDF-GHJK",
    next: "Continuer",
    unknownCode: "Ce code n'est pas valide ou a expiré. Vérifiez-le sur l'appareil, ou recommencez depuis celui-ci.",
    kinds: { printer: "L'imprimante", panel: "Le panneau d'imprimante", desktop: "Le client de bureau" },
    asks: (name: string, kind: string, person: string) => `${kind} ${name} demande à se connecter en tant que ${person}.`,
    approve: "Le connecter",
    deny: "Refuser",
    approved: (name: string) => `${name} est connecté. Vous pouvez fermer cette page.`,
    denied: (name: string) => `${name} a été refusé et n'est pas connecté.`,
  },
  errorPages: {
    invalid_client: { title: "Application inconnue", text: brokenLink },
    invalid_redirect_uri: { title: "Ce lien ne peut pas être utilisé", text: brokenLink },
    invalid_request: { title: "Ce lien est incomplet", text: brokenLink },
    tenant_not_found: {
      title: "Tenant introuvable",
      text: "Aucun tenant de ce nom n'existe ici. Vérifiez le nom du tenant dans l'application et réessayez.",
    },
    tenant_disabled: { title: "Connexion indisponible", text: refusals.tenant_disabled },
    server_error: {
      title: "Une erreur s'est produite",
      text: "Une erreur s'est produite de notre côté. Revenez à l'application et réessayez dans un instant.",
    },
    csrf: { title: "Ce formulaire n'a pas pu être vérifié", text: refusals.csrf },
    session_expired: { title: "Cette page a expiré", text: refusals.session_expired },
  },
  technicalDetail: "Détail technique\u00a0:",
  back: "Retour",
};
