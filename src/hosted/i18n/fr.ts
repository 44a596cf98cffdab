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
  wrong_code: "Le code est incorrect. Vérifiez-le et réessayez.",
  step_ended: "Cette vérification a pris trop de temps ou reçu trop de codes erronés. Veuillez recommencer.",
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
      secondFactor: "Votre compte utilise la vérification en deux étapes\u00a0: saisissez de nouveau votre nouveau mot de passe, avec un code de votre application d'authentification ou de votre e-mail, ou un code de secours.",
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
  secondStep: {
    title: "Vérification en deux étapes",
    app: "Saisissez le code affiché par votre application d'authentification.",
    appOrEmail: "Saisissez le code affiché par votre application d'authentification, ou recevez-en un par e-mail.",
    email: "Recevez un code par e-mail, puis saisissez-le ici.",
    recoveryOnly: "Saisissez l'un de vos codes de secours.",
    code: "Code",
    codeHint: "6 chiffres",
    remember: (days) => `Mémoriser cet appareil pendant ${days}\u00a0${days === 1 ? "jour" : "jours"}`,
    verify: "Vérifier",
    sendEmail: "M'envoyer un code par e-mail",
    emailSent: "Nous avons envoyé un code à votre adresse e-mail. Il est valable 10\u00a0minutes.",
    useRecovery: "Utiliser un code de secours",
    recoveryCode: "Code de secours",
    recoveryHint: "L'un des codes enregistrés lors de la mise en place de la vérification en deux étapes. Chacun ne sert qu'une fois.",
    verifyRecovery: "Vérifier avec ce code de secours",
    startAgain: "Recommencer",
    otherAccount: "Se connecter avec un autre compte",
  },
  setUp: {
    title: "Activer la vérification en deux étapes",
    text: "Votre organisation demande une deuxième étape à la connexion\u00a0: un code d'une application de votre téléphone, ou reçu par e-mail. Activez-en une pour continuer.",
    totp: "Utiliser une application d'authentification",
    email: "Recevoir les codes par e-mail",
    none: "Aucune deuxième étape ne peut être activée ici pour votre compte. Adressez-vous à votre administrateur.",
    totpTitle: "Configurer votre application d'authentification",
    totpSteps: "Scannez ce QR code avec votre application d'authentification, ou saisissez-y la clé. Saisissez ensuite le code à 6\u00a0chiffres qu'elle affiche.",
    qr: "QR code pour votre application d'authentification",
    key: "Clé",
    firstCode: "Code de l'application",
    confirm: "Confirmer",
  },
  recoveryCodes: {
    title: "Enregistrez vos codes de secours",
    text: "Si vous perdez votre téléphone ou ne recevez plus de codes, chacun de ces codes vous connecte une fois. Gardez-les en lieu sûr\u00a0: ils ne sont affichés que cette fois.",
    list: "Vos codes de secours",
    continue: "Continuer",
  },
  factors: {
    title: "Deuxièmes facteurs",
    signInFirst: "Connectez-vous d'abord à ce service dans ce navigateur, puis rouvrez cette page.",
    required: "Votre organisation exige un deuxième facteur pour votre compte.",
    optional: "Le deuxième facteur est facultatif\u00a0: une fois activé, il est demandé à chaque connexion.",
    off: "Votre organisation n'utilise pas de deuxième facteur.",
    yours: "Vos facteurs",
    none: "Vous n'avez pas encore de deuxième facteur.",
    types: { totp: "Application d'authentification", email: "Codes par e-mail", passkey: "Clé d'accès" },
    since: (date) => `Activé le ${date}`,
    remove: (name) => `Retirer\u00a0: ${name.toLowerCase()}`,
    keepOne: "Votre organisation exige un deuxième facteur\u00a0: activez-en un autre avant de retirer celui-ci.",
    add: "Ajouter un facteur",
    addTotp: "Configurer une application d'authentification",
    addEmail: "Recevoir les codes par e-mail",
    emailNeedsAddress: "Les codes par e-mail demandent une adresse e-mail confirmée.",
    recovery: "Codes de secours",
    recoveryLeft: (count) => (count <= 1 ? `${count} code de secours restant.` : `${count} codes de secours restants.`),
    newRecovery: "Obtenir de nouveaux codes de secours",
    newRecoveryHint: "Les nouveaux codes remplacent ceux que vous avez.",
    confirmTitle: "Confirmez votre identité",
    confirmText: "Saisissez un code de votre deuxième facteur pour effectuer ce changement.",
    done: {
      totp: "Votre application d'authentification est configurée.",
      email: "Les codes par e-mail sont activés.",
      removed: "Le facteur a été retiré.",
    },
    back: "Revenir à vos deuxièmes facteurs",
    signOut: "Se déconnecter",
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
