import { CleanupPage } from "../../components/CleanupPage";

export default function Page() {
  return <CleanupPage />;
}
