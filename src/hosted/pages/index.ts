// The hosted sign-in's pages: pure render components, each a whole HTML page (src/hosted/ renders them).
export { AccountDonePage, AccountFormPage, type AccountAction, type AccountDonePageProps, type AccountFormPageProps } from "./account";
export { DevicePage, type DevicePageProps, type DevicePageState } from "./device";
export { ContinueAsPage, type ContinueAsPageProps, type PostForm } from "./continue-as";
export { ErrorPage, errorPageStatus, type ErrorPageProps } from "./error";
export type { PageError } from "./error-summary";
export { LogoutConfirmPage, type LogoutConfirmPageProps } from "./logout-confirm";
export { PendingActivationPage, type PendingActivationPageProps } from "./pending-activation";
export { RegisterPage, type RegisterPageProps } from "./register";
export { SignedOutPage, type SignedOutPageProps } from "./signed-out";
export { SignInPage, type SignInPageProps } from "./sign-in";
export { RecoveryCodeList, RecoveryCodesPage, type RecoveryCodesPageProps } from "./recovery-codes";
export { SecondStepContent, SecondStepPage, secondStepTitle, StepForms, TotpSetup, type SecondStepPageProps, type SecondStepState, type StepFormsProps } from "./second-step";
export { AppSetupPage, FactorsPage, FactorStepPage, SignInFirstPage, type AppSetupPageProps, type FactorsPageProps, type FactorStepPageProps } from "./factors";
