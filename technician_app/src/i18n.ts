// The app's own catalogue, with the same Chinese terms as the server's (locale/). Chinese by default.
export type Lang = 'zh' | 'en'
export const getLang = (): Lang => (localStorage.getItem('anxin-tech-lang') === 'en' ? 'en' : 'zh')
export const setLang = (l: Lang) => localStorage.setItem('anxin-tech-lang', l)

const EN: Record<string, string> = {
  '安心维修': 'Anxin Repairs', '工程师登录': 'Technician sign-in', '用户名': 'Username', '密码': 'Password',
  '设备名称': 'Device name', '登录': 'Sign in', '正在登录…': 'Signing in…', '我的工单': 'My orders',
  '未同步': 'not synced', '上次同步': 'Last sync', '从未同步': 'never synced', '立即同步': 'Sync now',
  '同步中…': 'Syncing…', '离线': 'Offline', '在线': 'Online', '没有分配给您的工单': 'No orders assigned to you',
  '剩余': 'left', '已超时': 'overdue by', '响应': 'response', '到场': 'arrival', '完成': 'resolution',
  '返回': 'Back', '地址': 'Address', '导航': 'Navigate', '业主': 'Owner', '拨打': 'Call', '问题描述': 'Description',
  '进度': 'History', '出发': 'Set off', '到达现场': 'Arrived', '开始维修': 'Start work', '等待': 'Wait',
  '恢复维修': 'Resume', '完工': 'Finish', '等待配件': 'Waiting for parts', '等待业主': 'Waiting for the owner',
  '等待审批': 'Waiting for approval', '诊断记录': 'Diagnosis', '保存诊断': 'Save diagnosis', '使用配件': 'Parts used',
  '配件名称': 'Part', '数量': 'Qty', '单价(元)': 'Unit price (¥)', '添加配件': 'Add part', '费用预估': 'Cost estimate',
  '项目': 'Item', '金额(元)': 'Amount (¥)', '添加一行': 'Add line', '提交预估': 'Submit estimate', '合计': 'Total',
  '照片': 'Photos', '维修前': 'Before', '维修后': 'After', '拍照': 'Take photo', '业主签字': "Owner's signature",
  '清除': 'Clear', '保存签字': 'Save signature', '完工说明': 'Summary', '确认完工': 'Confirm finish',
  '待上传': 'to upload', '已上传': 'uploaded', '上传失败': 'upload failed', '待同步': 'pending',
  '已生效': 'applied', '被拒绝': 'refused', '原因': 'reason', '被拒绝的步骤': 'Refused steps',
  '已不在您的范围': 'is no longer yours (cancelled or reassigned)', '知道了': 'Dismiss', '退出登录': 'Sign out',
  '此设备已被注销，请重新登录': 'This device was signed out. Please sign in again.',
  '应用已在另一个标签页打开': 'The app is open in another tab', '请关闭其他标签页后刷新': 'Close the other tab, then reload.',
  '另一个标签页修改了本地数据，已重新加载': 'Another tab changed the local data; reloaded.',
  '安装到桌面，离线更可靠': 'Install the app: offline data is safer', '安装': 'Install',
  '存储空间不足': 'Storage is full', '提交中': 'submitted', '待审批': 'awaiting approval', '已批准': 'approved',
  '无需审批': 'no approval needed', '签字已保存': 'Signature saved', '步骤已记录': 'Step recorded',
  '请先填写完工说明': 'Write a summary first', '楼层': 'Floor', '状态': 'State', '优先级': 'Priority',
  '分类': 'Category', '附件': 'Attachments', '个': '', '同步失败': 'Sync failed', '秒后重试': 's to retry',
  'submitted': 'Submitted', 'accepted': 'Accepted', 'assigned': 'Assigned', 'en_route': 'En route',
  'on_site': 'On site', 'in_progress': 'In progress', 'waiting': 'Waiting', 'completed': 'Completed',
  'closed': 'Closed', 'cancelled': 'Cancelled', 'rejected': 'Rejected', 'reopened': 'Reopened',
  '用户名或密码错误': 'Wrong username or password', '无法连接服务器': 'Cannot reach the server',
  '知识库': 'Knowledge base', '扫码确认到场': 'Scan the unit QR to confirm arrival', '取消扫码': 'Stop scanning', '确认': 'Confirm',
  '或输入标签上的确认码': 'or type the check code under the QR label', '确认码': 'Check code',
  '扫码确认': 'confirmed by scanning the QR label', '确认码确认': 'confirmed by the check code on the label',
  '这不是本工单房屋的二维码，请核对房号（未记录到场）': "This is not the QR label of this order's unit: check the unit number (arrival not recorded)",
  '这不是房屋报修二维码，请扫描门口的安心标签': 'This is not a unit QR label: scan the Anxin label at the door',
  '确认码为标签上二维码下方的 8 位字符': 'The check code is the 8 characters printed under the QR code',
  '无法使用相机，请输入标签上的确认码': 'The camera is not available: type the check code on the label',
  '记录': 'Records', '配件': 'Part', '备注': 'Note', '显示更多': 'Show more',
  '工单状态已在服务器上改变（例如调度已取消或改派），此步骤未被接受':
    'The order changed on the server (cancelled or reassigned by the dispatcher); this step was not accepted',
  '该工单已不再分配给您': 'The order is no longer assigned to you', '您没有权限执行此步骤': 'You may not take this step',
}
const ZH_STATES: Record<string, string> = {
  submitted: '已提交', accepted: '已受理', assigned: '已派单', en_route: '已出发', on_site: '已到场',
  in_progress: '维修中', waiting: '等待中', completed: '已完工', closed: '已关闭', cancelled: '已取消',
  rejected: '已驳回', reopened: '已重开',
}

export function t(text: string): string {
  if (getLang() === 'en') return EN[text] ?? text
  return ZH_STATES[text] ?? text
}
