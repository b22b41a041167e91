import { AuditPage } from "../../components/AuditPage";

export default function Page() {
  return <AuditPage />;
}
