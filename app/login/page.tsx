import { LoginPage } from "../../components/LoginPage";

export default function Page() {
  return <LoginPage />;
}
